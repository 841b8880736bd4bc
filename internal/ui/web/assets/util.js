// Small helpers: DOM building (text only, never HTML from data), icons,
// formatting and the API client.

// h builds an element. attrs: properties and attributes ("class", "data-*",
// "aria-*", on* handlers as functions); children: nodes or strings (always
// inserted as text).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "testid") el.setAttribute("data-testid", v);
      else if (k === "text") el.textContent = v;
      else if (k in el && !k.includes("-") && k !== "list" && k !== "form") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

// add appends children to el as h does: nodes, strings as text; null,
// undefined and false are skipped (Element.append would insert "null").
export function add(el, ...children) { append(el, children); return el; }

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

// Icons: fixed SVG paths (24x24 viewBox), drawn with stroke.
const ICONS = {
  folder: "M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z",
  file: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z M14 3v5h5",
  image: "M5 4h14a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z M4 16l5-5 4 4 3-3 4 4 M15.5 8.5h.01",
  bucket: "M4 6c0 1.7 3.6 3 8 3s8-1.3 8-3-3.6-3-8-3-8 1.3-8 3z M4 6l1.8 12.2C6 19.8 8.7 21 12 21s6-1.2 6.2-2.8L20 6",
  cloud: "M7 18a4 4 0 0 1-.6-7.95A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9z",
  ext: "M14 4h6v6 M20 4l-9 9 M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7 M20 4v7h-7",
  theme: "M12 3a9 9 0 1 0 9 9 7 7 0 0 1-9-9z",
  up: "M12 19V5 M6 11l6-6 6 6",
  down: "M12 5v14 M6 13l6 6 6-6",
  copy: "M9 9h10v10H9z M5 15V5h10",
  trash: "M4 7h16 M10 11v6 M14 11v6 M6 7l1 13h10l1-13 M9 7V4h6v3",
  x: "M6 6l12 12 M18 6L6 18",
  key: "M15 7a4 4 0 1 1-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0 1 15 7z",
  user: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M4 21a8 8 0 0 1 16 0",
  link: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1 M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
  star: "M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.3L12 17.5 6.5 20.4l1-6.3L3 9.7l6.2-.9z",
};

export function icon(name, cls) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "i" + (cls ? " " + cls : ""));
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", ICONS[name] || ICONS.file);
  svg.appendChild(p);
  return svg;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
export function fmtSize(n) {
  if (n === undefined || n === null || n < 0) return "—";
  if (n < 1024) return n + " B";
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + " " + UNITS[i];
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
export function fmtDate(sec) {
  if (!sec) return "—";
  return dateFmt.format(new Date(sec * 1000));
}
export function fmtTime(iso) { return iso ? timeFmt.format(new Date(iso)) : ""; }
export function fmtFullDate(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

export function relTime(ms) {
  const d = (Date.now() - ms) / 1000;
  if (d < 60) return "just now";
  if (d < 3600) return Math.floor(d / 60) + " min ago";
  if (d < 86400) return Math.floor(d / 3600) + " h ago";
  return Math.floor(d / 86400) + " d ago";
}

export function fmtDuration(s) {
  if (!isFinite(s) || s < 0) return "";
  if (s < 60) return Math.ceil(s) + " s";
  if (s < 3600) return Math.ceil(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}

export function fmtCount(n) { return n.toLocaleString(); }

// middle truncates long names, keeping the start and the end.
export function middle(s, max = 64) {
  if (s.length <= max) return s;
  const k = Math.floor((max - 1) / 2);
  return s.slice(0, k) + "…" + s.slice(s.length - k);
}

export class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || { message: "request failed (" + status + ")" };
    super(e.message);
    this.status = status;
    this.hint = e.hint || "";
    this.kind = e.kind || "";
    this.login = e.login || "";
    this.field = e.field || "";
  }
}

// api calls the server's JSON API; errors become APIError.
export async function api(method, path, body, opts = {}) {
  const init = { method, headers: {}, credentials: "same-origin", signal: opts.signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  const ct = res.headers.get("Content-Type") || "";
  if (ct.includes("application/json")) data = await res.json();
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => u.append(k, x));
    else if (v !== undefined && v !== null) u.append(k, v);
  }
  return u.toString();
}

// ndjson reads a streamed NDJSON response, calling onChunk for each line.
export async function ndjson(path, onChunk, signal) {
  const res = await fetch(path, { credentials: "same-origin", signal });
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    throw new APIError(res.status, data);
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) onChunk(JSON.parse(line));
    }
  }
  if (buf.trim()) onChunk(JSON.parse(buf));
}
