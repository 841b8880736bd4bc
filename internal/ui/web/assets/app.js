// s3sso ui: the page. Hand-written ES modules, no framework (docs/ui.md).
// Everything shown from the server (keys, metadata, errors) goes into the
// DOM as text (h() and textContent), never as HTML.
import { h, add, clear, icon, fmtSize, fmtDate, fmtTime, fmtFullDate, fmtDuration, fmtCount, middle, api, qs, ndjson, APIError, sessionHeaders, downloadURL } from "./util.js";
import { accountDialog, confirmDialog, promptDialog, choiceDialog, shareDialog, copyDialog, metadataDialog, tagsDialog, dialogOpen } from "./dialogs.js";
import { bucketPropertiesDialog, permissionsDialog } from "./manage.js";

const ROW = 30;
const $ = (id) => document.getElementById(id);

export const S = {
  accounts: [], profiles: [], defaultAcct: "", start: "", problem: null,
  acct: "", buckets: [], bucketProblems: [], bucketsError: null, bucketsLoading: false,
  bucket: "", prefix: "",
  folders: [], files: [], loading: false, listError: null, truncated: false, listAbort: null, listGen: 0,
  search: null, // { q, abort, done }
  view: [], sort: { key: "name", dir: 1 }, filter: "",
  sel: new Set(), focus: -1, anchor: -1,
  transfers: new Map(), prompts: new Map(), uploadsWaiting: 0,
  trOpen: false,
};

// ---------- routing: /a/ACCOUNT/b/BUCKET/p/PREFIX ----------

function encPath(p) { return p.split("/").map(encodeURIComponent).join("/"); }

function routeURL(acct, bucket, prefix) {
  let u = "/";
  if (acct) u = "/a/" + encodeURIComponent(acct) + "/";
  if (acct && bucket) u += "b/" + encodeURIComponent(bucket) + "/";
  if (acct && bucket && prefix) u += "p/" + encPath(prefix);
  return u;
}

function parseRoute() {
  const m = location.pathname.match(/^\/a\/([^/]+)\/(?:b\/([^/]+)\/(?:p\/(.*))?)?$/);
  if (!m) return { acct: "", bucket: "", prefix: "" };
  const dec = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
  return { acct: dec(m[1]), bucket: m[2] ? dec(m[2]) : "", prefix: m[3] ? m[3].split("/").map(dec).join("/") : "" };
}

export function go(acct, bucket, prefix, push = true) {
  const url = routeURL(acct, bucket, prefix);
  if (push && url !== location.pathname) history.pushState(null, "", url);
  applyRoute({ acct, bucket, prefix });
}

async function applyRoute(r) {
  const acctChanged = r.acct !== S.acct;
  S.acct = r.acct;
  if (acctChanged) {
    S.buckets = [];
    S.bucketProblems = [];
    renderAccounts();
    if (S.acct) loadBuckets();
    else renderBuckets();
  }
  const locChanged = acctChanged || r.bucket !== S.bucket || r.prefix !== S.prefix;
  S.bucket = r.bucket;
  S.prefix = r.prefix;
  renderBuckets();
  renderCrumbs();
  if (locChanged) {
    stopSearch();
    S.filter = "";
    $("filter").value = "";
    loadList();
  }
  document.title = S.bucket ? "s3://" + S.bucket + "/" + S.prefix + " — s3sso" : "s3sso";
}

// ---------- accounts ----------

export async function loadAccounts() {
  try {
    const d = await api("GET", "/api/accounts");
    S.accounts = d.accounts;
    S.profiles = d.profiles;
    S.defaultAcct = d.default;
    S.start = d.start || "";
    S.problem = d.problem || null;
  } catch (e) {
    S.problem = { message: e.message, hint: e.hint };
  }
  renderAccounts();
  // An account that needed a sign-in and has one now: load what waited.
  if (S.acct && S.waitingSignIn === S.acct && !needsSignIn(S.acct)) {
    S.waitingSignIn = "";
    loadBuckets();
    if (S.bucket) loadList();
  }
}

export function accountByName(n) {
  return S.accounts.find((a) => a.name === n) || S.profiles.find((a) => a.name === n);
}

function dotClass(a) {
  if (!a) return "";
  if (a.usable && !expired.has(a.name)) return "on";
  if (a.can_sign_in) return "off";
  return "warn";
}

function renderAccounts() {
  const ul = clear($("accounts"));
  const item = (a) => h("li", {
    role: "option", "aria-selected": String(a.name === S.acct), testid: "account", "data-name": a.name, title: a.state,
    onclick: () => go(a.name, "", ""),
  }, h("span", { class: "dot " + dotClass(a) }), h("span", { class: "name" }, a.label),
  a.default ? h("span", { class: "mark", title: "default account" }, icon("star")) : null,
  h("span", { class: "tag" }, a.type));
  S.accounts.forEach((a) => ul.appendChild(item(a)));
  if (S.profiles.length) {
    ul.appendChild(h("li", { class: "group", role: "presentation" }, "AWS config profiles"));
    S.profiles.forEach((a) => ul.appendChild(item(a)));
  }
  if (!S.accounts.length && !S.profiles.length) {
    ul.appendChild(h("li", { class: "group", role: "presentation", testid: "no-accounts" }, "No accounts yet. Add one to start."));
  }
  const a = accountByName(S.acct);
  $("acct-switch-dot").className = "dot " + dotClass(a);
  $("acct-switch-name").textContent = a ? a.label : S.acct || "Choose an account";
  $("acct-switch-state").textContent = a ? a.state : "";
  renderAccountCard(a);
  renderBanners();
  // With no bucket open the properties show the account: keep its state
  // in step (it said "needs sign-in" after the sign-in).
  if (!S.bucket) renderProps();
}

function renderAccountCard(a) {
  const card = clear($("acct-card"));
  if (!a) return;
  const btns = [];
  if (a.can_sign_in) {
    // Signing in is the way on only when the account cannot be used (or
    // its sign-in expired under a transfer); signed in, it is one choice
    // among the others.
    const needed = !a.usable || expired.has(a.name);
    btns.push(h("button", { class: needed ? "btn small primary" : "btn small", testid: "sign-in", onclick: () => signIn(a.name) }, a.usable ? "Sign in again" : "Sign in"));
    if (a.type === "sso" || a.type === "oidc") {
      btns.push(h("button", { class: "btn small", testid: "sign-in-device", title: "Sign in with a code on any device", onclick: () => signIn(a.name, true) }, "Use a code"));
    }
    if (a.signed_in) btns.push(h("button", { class: "btn small", testid: "sign-out", onclick: () => signOut(a.name) }, "Sign out"));
  }
  if (a.saved) {
    btns.push(h("button", { class: "btn small", testid: "edit-account", onclick: () => editAccount(a) }, "Edit"));
    if (!a.default) btns.push(h("button", { class: "btn small", testid: "make-default", onclick: () => makeDefault(a.name) }, "Make default"));
    btns.push(h("button", { class: "btn small danger", testid: "delete-account", onclick: () => deleteAccount(a) }, "Delete"));
  }
  add(card, 
    h("div", null, h("strong", null, a.label), " ", h("span", { class: "muted" }, "(" + a.type + ")")),
    h("div", { class: "muted", testid: "account-state" }, a.state),
    h("div", { class: "btnrow" }, btns),
  );
}

async function signIn(name, device = false) {
  // Opening an account that needs a sign-in has started one already (its
  // panel is shown): finish that one instead of starting a second, which
  // would leave the first (and the listing waiting on it) hanging.
  const pending = [...S.prompts.values()].find((p) => p.kind === "signin" && p.ref === name && (p.flow === "device") === device);
  if (pending) {
    if (!device) {
      window.open(pending.url, "_blank", "noopener,noreferrer");
      pending.opened = true;
      renderBanners();
    }
    return;
  }
  try {
    await api("POST", "/api/accounts/" + encodeURIComponent(name) + "/login", { device_code: device });
    toast({ message: "Signing in to " + name + "…", hint: "Finish the sign-in in the panel above.", kind: "info", timeout: 4000 });
  } catch (e) { toastError(e); }
}

async function signOut(name) {
  try {
    const r = await api("POST", "/api/accounts/" + encodeURIComponent(name) + "/logout");
    (r.warnings || []).forEach((w) => toast({ message: w, kind: "warning" }));
    toast({ message: "Signed out of " + name + ".", kind: "ok", timeout: 3000 });
    loadAccounts();
  } catch (e) { toastError(e); }
}

async function makeDefault(name) {
  try { await api("POST", "/api/accounts/" + encodeURIComponent(name) + "/default"); loadAccounts(); } catch (e) { toastError(e); }
}

async function deleteAccount(a) {
  const ok = await confirmDialog({ title: "Delete account " + a.label + "?", message: "The account's settings are removed from s3sso." + (a.type === "keys" ? " Its secret key is deleted." : ""), confirm: "Delete account", danger: true });
  if (!ok) return;
  try {
    const r = await api("DELETE", "/api/accounts/" + encodeURIComponent(a.name));
    (r.warnings || []).forEach((w) => toast({ message: w, kind: "warning" }));
    if (S.acct === a.name) go("", "", "");
    loadAccounts();
  } catch (e) { toastError(e); }
}

async function addAccount() {
  const name = await accountDialog({ profiles: S.profiles });
  if (name) { await loadAccounts(); go(name, "", ""); }
}

async function editAccount(a) {
  const name = await accountDialog({ account: a, profiles: S.profiles });
  if (name) { await loadAccounts(); loadBuckets(); }
}

// ---------- buckets ----------

// needsSignIn is the sign-in-required state of an account the page knows
// cannot be used without a sign-in (no request is made for it: the page
// offers "Sign in" instead).
function needsSignIn(name) {
  const a = accountByName(name);
  if (!a || a.usable || !a.can_sign_in) return null;
  return { message: "Sign in to " + a.label + " to see its buckets and objects.", hint: "", kind: "authentication", login: a.name };
}

async function loadBuckets() {
  const acct = S.acct;
  const need = needsSignIn(acct);
  if (need) {
    S.waitingSignIn = acct;
    S.buckets = [];
    S.bucketsError = need;
    S.bucketsLoading = false;
    renderBuckets();
    return;
  }
  S.bucketsLoading = true;
  S.bucketsError = null;
  renderBuckets();
  try {
    const d = await api("GET", "/api/buckets?" + qs({ acct }));
    if (acct !== S.acct) return;
    S.buckets = d.buckets;
    S.bucketProblems = d.problems;
  } catch (e) {
    if (acct !== S.acct) return;
    S.buckets = [];
    S.bucketsError = e;
  }
  S.bucketsLoading = false;
  renderBuckets();
  if (!S.bucket) renderList();
  loadAccounts();
}

function renderBuckets() {
  const ul = clear($("buckets"));
  const note = clear($("bucket-note"));
  for (const b of S.buckets) {
    const marks = [];
    if (b.cloudfront && b.cloudfront.length) marks.push(h("span", { class: "mark", testid: "cloudfront-mark", title: "CloudFront origin: " + b.cloudfront.map((d) => d.domain || d.id).join(", ") }, icon("cloud")));
    if (b.external) marks.push(h("span", { class: "mark", testid: "external-mark", title: "External bucket" }, icon("ext")));
    ul.appendChild(h("li", {
      role: "option", testid: "bucket", "data-name": b.name, "aria-selected": String(b.name === S.bucket), title: b.name + (b.path ? "/" + b.path : ""),
      onclick: () => go(S.acct, b.name, b.path ? b.path + "/" : ""),
    }, icon("bucket"), h("span", { class: "name" }, b.name + (b.path ? "/" + b.path : "")), marks));
  }
  if (!S.acct) note.textContent = "Choose an account to see its buckets.";
  else if (S.bucketsLoading) note.textContent = "Loading buckets…";
  else if (S.bucketsError) {
    add(note, h("div", { class: "form-error", testid: "buckets-error" }, S.bucketsError.message, S.bucketsError.hint ? h("div", { class: "hint" }, S.bucketsError.hint) : null));
    if (S.bucketsError.login) add(note, h("button", { class: "btn small primary", testid: "error-sign-in", onclick: () => signIn(S.bucketsError.login) }, "Sign in"));
  } else if (!S.buckets.length) {
    const p = S.bucketProblems.find((x) => x.kind === "no-buckets");
    note.textContent = p ? "No buckets visible. This account does not list buckets; add external buckets in its Advanced settings." : "No buckets. Use the path box to open one by name.";
  }
  for (const p of S.bucketProblems || []) {
    if (p.kind === "no-buckets") continue;
    add(note, h("div", { class: "muted", testid: "bucket-problem" }, p.kind === "cloudfront-denied" ? "CloudFront origins not shown: ListDistributions is denied." : p.message || p.kind));
  }
}

// ---------- listing ----------

function stopList() {
  if (S.listAbort) S.listAbort.abort();
  S.listAbort = null;
}

export function loadList() {
  stopList();
  S.folders = [];
  S.files = [];
  S.listError = null;
  S.truncated = false;
  S.sel.clear();
  S.focus = -1;
  S.anchor = -1;
  $("grid-body").scrollTop = 0;
  renderProps();
  if (!S.acct || !S.bucket) { S.loading = false; rebuildView(); return; }
  const gen = ++S.listGen;
  const need = needsSignIn(S.acct);
  if (need) { S.waitingSignIn = S.acct; S.loading = false; S.listError = need; rebuildView(); return; }
  const ctl = new AbortController();
  S.listAbort = ctl;
  S.loading = true;
  rebuildView();
  const path = S.search ? "/api/search?" + qs({ acct: S.acct, bucket: S.bucket, prefix: S.prefix, q: S.search.q }) : "/api/list?" + qs({ acct: S.acct, bucket: S.bucket, prefix: S.prefix });
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; if (gen === S.listGen) rebuildView(); });
  };
  ndjson(path, (c) => {
    if (gen !== S.listGen) return;
    if (c.rows) {
      for (const r of c.rows) {
        const o = { n: r[0], s: r[1], m: r[2], c: r[3], e: r[4] };
        o.d = o.s < 0;
        (o.d ? S.folders : S.files).push(o);
      }
      schedule();
    }
    if (c.error) S.listError = c.error;
    if (c.truncated) S.truncated = true;
  }, ctl.signal).catch((e) => {
    if (gen !== S.listGen || e.name === "AbortError") return;
    S.listError = e;
  }).finally(() => {
    if (gen !== S.listGen) return;
    S.loading = false;
    S.listAbort = null;
    if (S.search) S.search.done = true;
    rebuildView();
    renderSearchBar();
    if (!S.sel.size) renderProps();
  });
}

const collator = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function rebuildView() {
  const f = S.filter.toLowerCase();
  const keep = f ? (o) => o.n.toLowerCase().includes(f) : null;
  let folders = keep ? S.folders.filter(keep) : S.folders;
  let files = keep ? S.files.filter(keep) : S.files;
  const { key, dir } = S.sort;
  if (!(key === "name" && dir === 1)) {
    const get = { name: (o) => o.n, size: (o) => o.s, mtime: (o) => o.m, class: (o) => o.c }[key];
    const cmp = (a, b) => (collator(get(a), get(b)) || collator(a.n, b.n)) * dir;
    folders = folders.slice().sort(key === "name" ? cmp : (a, b) => collator(a.n, b.n));
    files = files.slice().sort(cmp);
  }
  const focused = S.view[S.focus];
  S.view = folders.length ? (files.length ? folders.concat(files) : folders) : files;
  if (focused) {
    const i = S.view.indexOf(focused);
    S.focus = i;
  }
  renderList();
}

function renderList() {
  const body = $("grid-body");
  $("grid-spacer").style.height = S.view.length * ROW + "px";
  renderRows();
  // Sort indicators.
  for (const b of document.querySelectorAll(".grid-head [data-sort]")) {
    b.setAttribute("aria-sort", b.dataset.sort === S.sort.key ? (S.sort.dir > 0 ? "ascending" : "descending") : "none");
  }
  const empty = clear($("empty"));
  empty.className = "empty";
  let show = false;
  if (!S.acct) {
    show = true;
    add(empty, icon("user"), h("h3", null, S.accounts.length || S.profiles.length ? "Choose an account" : "Welcome to s3sso"),
      h("div", null, S.accounts.length || S.profiles.length ? "Pick an account on the left to browse its buckets." : "Add an account to sign in to Amazon S3 or an S3-compatible server."),
      S.accounts.length ? null : h("div", { class: "hint" }, h("button", { class: "btn primary", testid: "empty-add-account", onclick: addAccount }, "Add account")));
  } else if (!S.bucket) {
    show = true;
    add(empty, icon("bucket"), h("h3", null, "Choose a bucket"), h("div", null, "Pick a bucket on the left, or type s3://bucket/ in the path box."));
  } else if (S.listError && !S.view.length) {
    show = true;
    empty.className = "empty error";
    empty.setAttribute("data-testid", "empty-state");
    const e = S.listError;
    add(empty, h("h3", { testid: "list-error" }, e.message), e.hint ? h("div", { class: "hint" }, e.hint) : null,
      e.login ? h("div", { class: "hint" }, h("button", { class: "btn primary", testid: "error-sign-in", onclick: () => signIn(e.login) }, "Sign in to " + e.login)) : null);
  } else if (!S.loading && !S.view.length) {
    show = true;
    if (S.filter) add(empty, h("h3", null, "Nothing matches “" + S.filter + "”"), h("div", null, "Clear the filter, or search everything below this folder."));
    else if (S.search) add(empty, h("h3", null, "No results"), h("div", null, "Nothing under this folder contains “" + S.search.q + "”."));
    else add(empty, icon("folder"), h("h3", null, "This folder is empty"), h("div", null, "Drop files here, or use Upload."));
  }
  empty.hidden = !show;
  renderStatus();
  renderActions();
  body.setAttribute("aria-rowcount", String(S.view.length));
}

let rowsPending = false;
function scheduleRows() {
  if (rowsPending) return;
  rowsPending = true;
  requestAnimationFrame(() => { rowsPending = false; renderRows(); });
}

// renderRows draws only the rows in view (plus a margin): 100,000 rows
// cost as much DOM as 40.
function renderRows() {
  const body = $("grid-body");
  const spacer = $("grid-spacer");
  const top = body.scrollTop;
  const hgt = body.clientHeight || 600;
  const first = Math.max(0, Math.floor(top / ROW) - 8);
  const last = Math.min(S.view.length, Math.ceil((top + hgt) / ROW) + 8);
  for (const el of Array.from(body.children)) if (el !== spacer) el.remove();
  const frag = document.createDocumentFragment();
  for (let i = first; i < last; i++) frag.appendChild(rowEl(S.view[i], i));
  body.appendChild(frag);
}

function rowEl(o, i) {
  const sel = S.sel.has(o.n);
  const name = o.d ? o.n.slice(0, -1) : o.n;
  const el = h("div", {
    class: "row" + (o.d ? " dir" : "") + (i === S.focus ? " focus" : ""), role: "row", testid: "row", "data-name": o.n, "data-index": String(i),
    "aria-selected": String(sel), "aria-rowindex": String(i + 1), title: o.n,
  },
  h("span", { class: "c-check" }, h("input", { type: "checkbox", checked: sel, tabIndex: -1, "aria-label": "Select " + name, testid: "row-check" })),
  h("span", { class: "c-name", role: "gridcell" }, o.d ? icon("folder", "folder") : icon(/\.(png|jpe?g|gif|webp|svg|bmp|tiff?)$/i.test(o.n) ? "image" : "file"),
    h("span", { class: "label", testid: "row-name" }, middle(name, 90))),
  h("span", { class: "c-size", role: "gridcell" }, o.d ? "—" : fmtSize(o.s)),
  h("span", { class: "c-date", role: "gridcell" }, o.d ? "—" : fmtDate(o.m)),
  h("span", { class: "c-class", role: "gridcell" }, o.d ? "" : (o.c || "STANDARD").replace(/_/g, " ")));
  el.style.transform = "translateY(" + i * ROW + "px)";
  return el;
}

function renderStatus() {
  const st = $("status");
  const nf = S.view.filter((o) => o.d).length;
  const files = S.view.length - nf;
  let total = 0;
  for (const o of S.view) if (!o.d) total += o.s;
  const parts = [];
  if (S.bucket) {
    if (S.search) parts.push("Search “" + S.search.q + "”:");
    parts.push(fmtCount(nf) + (nf === 1 ? " folder" : " folders"), fmtCount(files) + (files === 1 ? " object" : " objects"), fmtSize(total));
    if (S.loading) parts.push("(listing…)");
    if (S.truncated) parts.push("(first " + fmtCount(S.view.length) + " results)");
    if (S.filter) parts.push("matching “" + S.filter + "” of " + fmtCount(S.folders.length + S.files.length));
    if (S.sel.size) {
      let selSize = 0;
      for (const o of selectedRows()) if (!o.d) selSize += o.s;
      parts.push("· " + fmtCount(S.sel.size) + " selected (" + fmtSize(selSize) + ")");
    }
    if (S.listError && S.view.length) parts.push("· listing stopped: " + S.listError.message);
  }
  st.textContent = parts.join(" ");
  st.dataset.state = !S.bucket ? "idle" : S.loading ? "loading" : S.listError ? "error" : "done";
  st.dataset.count = String(S.folders.length + S.files.length);
}

export function selectedRows() {
  if (!S.sel.size) return [];
  const out = [];
  for (const o of S.folders) if (S.sel.has(o.n)) out.push(o);
  for (const o of S.files) if (S.sel.has(o.n)) out.push(o);
  return out;
}

function keyOf(o) { return S.search ? S.prefix + o.n : S.prefix + o.n; }

function renderActions() {
  const inBucket = !!(S.acct && S.bucket);
  const sel = selectedRows();
  const one = sel.length === 1 ? sel[0] : null;
  $("upload-files").disabled = !inBucket;
  $("upload-folder").disabled = !inBucket;
  $("new-folder").disabled = !inBucket || !!S.search;
  $("download").disabled = !sel.length;
  $("rename").disabled = !one;
  $("copy").disabled = !sel.length;
  $("share").disabled = !(one && !one.d);
  $("delete").disabled = !sel.length;
  $("search-btn").disabled = !inBucket;
  $("filter").disabled = !inBucket;
  const all = $("check-all");
  all.checked = S.view.length > 0 && S.sel.size >= S.view.length;
  all.indeterminate = S.sel.size > 0 && S.sel.size < S.view.length;
}

function renderCrumbs() {
  const nav = clear($("crumbs"));
  $("path-input").value = S.bucket ? "s3://" + S.bucket + "/" + S.prefix : "";
  if (!S.bucket) {
    add(nav, h("span", { class: "muted" }, S.acct ? "Buckets" : ""));
    return;
  }
  add(nav, h("button", { testid: "crumb", "data-prefix": "", onclick: () => go(S.acct, S.bucket, "") }, icon("bucket"), " ", S.bucket));
  let p = "";
  for (const seg of S.prefix.split("/").filter((x, i, a) => i < a.length - 1)) {
    p += seg + "/";
    const target = p;
    add(nav, h("span", { class: "chev" }, "›"), h("button", { testid: "crumb", "data-prefix": target, title: target, onclick: () => go(S.acct, S.bucket, target) }, seg || "(empty)"));
  }
}

// ---------- selection and keyboard ----------

function setFocus(i, opts = {}) {
  if (!S.view.length) return;
  i = Math.max(0, Math.min(S.view.length - 1, i));
  S.focus = i;
  if (opts.select) {
    if (opts.range && S.anchor >= 0) {
      if (!opts.add) S.sel.clear();
      const [a, b] = [Math.min(S.anchor, i), Math.max(S.anchor, i)];
      for (let k = a; k <= b; k++) S.sel.add(S.view[k].n);
    } else {
      S.sel.clear();
      S.sel.add(S.view[i].n);
      S.anchor = i;
    }
  }
  const body = $("grid-body");
  const y = i * ROW;
  if (y < body.scrollTop) body.scrollTop = y;
  else if (y + ROW > body.scrollTop + body.clientHeight) body.scrollTop = y + ROW - body.clientHeight;
  selectionChanged();
}

function selectionChanged() {
  renderRows();
  renderStatus();
  renderActions();
  renderProps();
}

function openRow(o) {
  if (o.d) go(S.acct, S.bucket, keyOf(o));
  else downloadSelection([o]);
}

function goUp() {
  if (!S.bucket) return;
  if (!S.prefix) { go(S.acct, "", ""); return; }
  const p = S.prefix.slice(0, -1);
  const i = p.lastIndexOf("/");
  go(S.acct, S.bucket, i >= 0 ? p.slice(0, i + 1) : "");
}

function onGridClick(ev) {
  const rowEl = ev.target.closest(".row");
  if (!rowEl) return;
  const i = Number(rowEl.dataset.index);
  const o = S.view[i];
  if (!o) return;
  $("grid").focus({ preventScroll: true });
  // A double click opens. Not the dblclick event: the first click redraws
  // the rows, so the two clicks land on different elements and the
  // browser sends no dblclick.
  if (ev.detail === 2 && !ev.target.matches("input") && !ev.shiftKey && !ev.ctrlKey && !ev.metaKey) {
    openRow(o);
    return;
  }
  if (ev.target.matches("input[type=checkbox]")) {
    if (S.sel.has(o.n)) S.sel.delete(o.n); else S.sel.add(o.n);
    S.focus = i;
    S.anchor = i;
    selectionChanged();
    return;
  }
  if (ev.shiftKey) setFocus(i, { select: true, range: true, add: ev.ctrlKey || ev.metaKey });
  else if (ev.ctrlKey || ev.metaKey) {
    if (S.sel.has(o.n)) S.sel.delete(o.n); else S.sel.add(o.n);
    S.anchor = i;
    setFocus(i);
  } else setFocus(i, { select: true });
}

function onKey(ev) {
  if (dialogOpen()) return;
  const t = ev.target;
  const typing = t.matches("input, textarea, select") && t.type !== "checkbox";
  const ctrl = ev.ctrlKey || ev.metaKey;
  if (ctrl && ev.key.toLowerCase() === "l") { ev.preventDefault(); $("path-input").focus(); $("path-input").select(); return; }
  if (ctrl && ev.key.toLowerCase() === "f") { ev.preventDefault(); $("filter").focus(); return; }
  if (ev.key === "F5" && !ctrl) { ev.preventDefault(); refresh(); return; }
  if (typing) {
    if (ev.key === "Escape") { t.blur(); $("grid").focus(); }
    return;
  }
  const n = S.view.length;
  const page = Math.max(1, Math.floor($("grid-body").clientHeight / ROW) - 1);
  const move = (i) => { ev.preventDefault(); setFocus(i, { select: !ctrl, range: ev.shiftKey }); };
  switch (ev.key) {
    case "ArrowDown": if (ev.altKey) return; move(S.focus < 0 ? 0 : S.focus + 1); break;
    case "ArrowUp": if (ev.altKey) { ev.preventDefault(); goUp(); return; } move(S.focus <= 0 ? 0 : S.focus - 1); break;
    case "Home": move(0); break;
    case "End": move(n - 1); break;
    case "PageDown": move(S.focus + page); break;
    case "PageUp": move(S.focus - page); break;
    case "Enter": if (S.focus >= 0 && S.view[S.focus]) { ev.preventDefault(); openRow(S.view[S.focus]); } break;
    case "Backspace": ev.preventDefault(); goUp(); break;
    case " ":
      if (S.focus >= 0) {
        ev.preventDefault();
        const o = S.view[S.focus];
        if (S.sel.has(o.n)) S.sel.delete(o.n); else S.sel.add(o.n);
        S.anchor = S.focus;
        selectionChanged();
      }
      break;
    case "a": case "A":
      if (ctrl) { ev.preventDefault(); S.view.forEach((o) => S.sel.add(o.n)); selectionChanged(); }
      break;
    case "Delete": if (S.sel.size) { ev.preventDefault(); deleteSelection(); } break;
    case "F2": if (S.sel.size === 1) { ev.preventDefault(); renameSelection(); } break;
    case "Escape": if (S.sel.size) { S.sel.clear(); selectionChanged(); } break;
    default: return;
  }
}

// ---------- properties ----------

let propsGen = 0;
async function renderProps() {
  const el = clear($("props"));
  const gen = ++propsGen;
  const sel = selectedRows();
  if (!S.bucket) {
    const a = accountByName(S.acct);
    if (a) add(el, h("h2", null, a.label), h("div", { class: "sub" }, a.type + " account"), dl([["State", a.state], ["Buckets", S.buckets.length ? String(S.buckets.length) : "—"]]));
    return;
  }
  if (!sel.length) {
    const files = S.files.length;
    let total = 0;
    for (const o of S.files) total += o.s;
    add(el, h("h2", { testid: "props-title" }, S.prefix ? S.prefix.split("/").slice(-2)[0] : S.bucket), h("div", { class: "sub" }, S.prefix ? "Folder in " + S.bucket : "Bucket"),
      dl([["Location", "s3://" + S.bucket + "/" + S.prefix], ["Folders", fmtCount(S.folders.length)], ["Objects", fmtCount(files) + (S.loading ? "…" : "")], ["Size", fmtSize(total)]]),
      h("div", { class: "buttons" },
        h("button", { class: "btn", testid: "bucket-properties", onclick: () => bucketPropertiesDialog({ acct: S.acct, bucket: S.bucket }) }, "Bucket properties…"),
        h("button", { class: "btn", testid: "bucket-permissions", onclick: () => permissionsDialog({ acct: S.acct, bucket: S.bucket }) }, "Permissions…")));
    return;
  }
  if (sel.length > 1) {
    let total = 0;
    for (const o of sel) if (!o.d) total += o.s;
    add(el, h("h2", { testid: "props-title" }, fmtCount(sel.length) + " items selected"), dl([["Size", fmtSize(total) + (sel.some((o) => o.d) ? " + folders" : "")]]),
      h("div", { class: "buttons" }, h("button", { class: "btn", onclick: () => downloadSelection(sel) }, "Download as zip"), h("button", { class: "btn danger", onclick: deleteSelection }, "Delete")));
    return;
  }
  const o = sel[0];
  const key = keyOf(o);
  if (o.d) {
    add(el, h("h2", { testid: "props-title" }, o.n.slice(0, -1).split("/").pop()), h("div", { class: "sub" }, "Folder"), dl([["Location", "s3://" + S.bucket + "/" + key]]),
      h("div", { class: "buttons" }, h("button", { class: "btn", onclick: () => go(S.acct, S.bucket, key) }, "Open"), h("button", { class: "btn", onclick: () => downloadSelection([o]) }, "Download as zip")));
    return;
  }
  add(el, h("h2", { testid: "props-title" }, o.n.split("/").pop()), h("div", { class: "sub" }, fmtSize(o.s) + " · " + (o.c || "STANDARD")), h("div", { class: "muted" }, "Loading properties…"));
  let info;
  try {
    info = await api("GET", "/api/object?" + qs({ acct: S.acct, bucket: S.bucket, key }));
  } catch (e) {
    if (gen !== propsGen) return;
    el.lastChild.replaceWith(h("div", { class: "form-error" }, e.message, e.hint ? h("div", { class: "hint" }, e.hint) : null));
    return;
  }
  if (gen !== propsGen) return;
  el.lastChild.remove();
  const rows = [["Key", key], ["Size", fmtSize(info.size) + " (" + fmtCount(info.size) + " bytes)"], ["Modified", fmtFullDate(info.last_modified)],
    ["ETag", (info.etag || "").replace(/"/g, "")], ["Class", info.storage_class || "STANDARD"], ["Content type", info.content_type || "—"]];
  if (info.cache_control) rows.push(["Cache control", info.cache_control]);
  if (info.content_encoding) rows.push(["Encoding", info.content_encoding]);
  if (info.version_id) rows.push(["Version", info.version_id]);
  if (info.sse) rows.push(["Encryption", info.sse + (info.sse_kms_key_id ? " (" + info.sse_kms_key_id + ")" : "")]);
  for (const [k, v] of Object.entries(info.checksums || {})) rows.push([k, v + (info.checksum_type ? " (" + info.checksum_type.toLowerCase().replace("_", " ") + ")" : "")]);
  if (info.parts_count) rows.push(["Parts", String(info.parts_count)]);
  const pane = h("div", { testid: "props-pane" });
  const tabs = h("div", { class: "tabs", role: "tablist", testid: "props-tabs" });
  const show = (name) => {
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    clear(pane);
    propsTab = name;
    if (name === "general") {
      const meta = Object.entries(info.metadata || {});
      add(pane, dl(rows, "props-general"), h("div", { class: "section" }, "Metadata"),
        meta.length ? dl(meta, "props-metadata") : h("div", { class: "muted", testid: "props-metadata" }, "No user metadata."),
        h("div", { class: "buttons" },
          h("button", { class: "btn", testid: "props-download", onclick: () => downloadSelection([o]) }, "Download"),
          h("button", { class: "btn", testid: "edit-metadata", onclick: () => editMetadata(key, info) }, "Edit metadata…"),
          h("button", { class: "btn", testid: "props-share", onclick: () => shareDialog({ acct: S.acct, bucket: S.bucket, key }) }, "Share…"),
          h("button", { class: "btn", testid: "props-permissions", onclick: () => permissionsDialog({ acct: S.acct, bucket: S.bucket, key }) }, "Permissions…")));
    } else if (name === "tags") renderTags(pane, key, gen);
    else renderVersions(pane, key, gen);
  };
  for (const [name, label] of [["general", "General"], ["tags", "Tags"], ["versions", "Versions"]]) {
    add(tabs, h("button", { role: "tab", "data-tab": name, testid: "tab-" + name, onclick: () => show(name) }, label));
  }
  add(el, tabs, pane);
  show(propsTab);
}
let propsTab = "general";

async function renderTags(pane, key, gen) {
  add(pane, h("div", { class: "muted" }, "Loading tags…"));
  let tags;
  try {
    tags = (await api("GET", "/api/tags?" + qs({ acct: S.acct, bucket: S.bucket, key }))).tags || [];
  } catch (e) {
    if (gen === propsGen) add(clear(pane), h("div", { class: "form-error" }, e.message, e.hint ? h("div", { class: "hint" }, e.hint) : null));
    return;
  }
  if (gen !== propsGen) return;
  add(clear(pane), tags.length ? dl(tags.map((t) => [t.Key, t.Value]), "props-tags") : h("div", { class: "muted", testid: "props-tags" }, "No tags."),
    h("div", { class: "buttons" }, h("button", { class: "btn", testid: "edit-tags", onclick: async () => {
      if (await tagsDialog({ acct: S.acct, bucket: S.bucket, key, tags })) { toast({ message: "Tags saved.", kind: "ok", timeout: 3000 }); renderProps(); }
    } }, "Edit tags…")));
}

async function renderVersions(pane, key, gen) {
  add(pane, h("div", { class: "muted" }, "Loading versions…"));
  let d;
  try {
    d = await api("GET", "/api/versions?" + qs({ acct: S.acct, bucket: S.bucket, key }));
  } catch (e) {
    if (gen === propsGen) add(clear(pane), h("div", { class: "form-error" }, e.message, e.hint ? h("div", { class: "hint" }, e.hint) : null));
    return;
  }
  if (gen !== propsGen) return;
  clear(pane);
  const vs = d.versions || [];
  if (vs.length <= 1 && (!vs.length || vs[0].version_id === "null")) {
    add(pane, h("div", { class: "muted", testid: "versions-none" }, "No older versions. Versions are kept when the bucket has versioning turned on."));
  }
  const ul = h("ul", { class: "versions", testid: "versions" });
  for (const v of vs) {
    const id = v.version_id;
    const label = v.delete_marker ? "Delete marker" : fmtSize(v.size);
    const btns = [];
    if (!v.delete_marker) btns.push(h("button", { class: "btn small", testid: "version-download", onclick: async () => {
      let href;
      try { href = await downloadURL("/api/download?" + qs({ acct: S.acct, bucket: S.bucket, key, version: id })); } catch (e) { toastError(e); return; }
      const a = h("a", { href, download: "", hidden: true });
      document.body.appendChild(a); a.click(); a.remove(); openTransfers();
    } }, "Download"));
    if (!v.is_latest && !v.delete_marker) btns.push(h("button", { class: "btn small", testid: "version-restore", onclick: async () => {
      try {
        await api("POST", "/api/versions/restore", { acct: S.acct, bucket: S.bucket, key, version_id: id });
        toast({ message: "Version restored: it is the current one now.", kind: "ok", timeout: 3000 });
        renderProps();
      } catch (e) { toastError(e); }
    } }, "Restore"));
    btns.push(h("button", { class: "btn small danger", testid: "version-delete", onclick: async () => {
      const ok = await confirmDialog({ title: "Delete this version for good?", message: (v.delete_marker ? "The delete marker" : "Version " + id) + " of “" + key + "” will be deleted.", detail: "This cannot be undone.", confirm: "Delete version", danger: true });
      if (!ok) return;
      try {
        await api("POST", "/api/versions/delete", { acct: S.acct, bucket: S.bucket, key, version_id: id });
        renderProps();
      } catch (e) { toastError(e); }
    } }, "Delete"));
    add(ul, h("li", { testid: "version", "data-version": id, "data-latest": String(v.is_latest) },
      h("div", null, h("strong", null, v.is_latest ? "Current" : fmtFullDate(v.last_modified)), " ", h("span", { class: "muted" }, label)),
      h("div", { class: "muted mono", title: id }, (v.is_latest ? fmtFullDate(v.last_modified) + " · " : "") + middle(id, 28)),
      h("div", { class: "btnrow" }, btns)));
  }
  add(pane, ul);
  if (d.truncated) add(pane, h("div", { class: "muted" }, "Only the newest 1,000 versions are shown."));
}

function dl(rows, testid) {
  return h("dl", { testid }, rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

async function editMetadata(key, info) {
  const saved = await metadataDialog({ acct: S.acct, bucket: S.bucket, key, info });
  if (saved) { toast({ message: "Metadata saved for " + key + ".", kind: "ok", timeout: 3000 }); renderProps(); }
}

// ---------- actions ----------

async function downloadSelection(sel) {
  sel = sel || selectedRows();
  if (!sel.length) return;
  let url;
  if (sel.length === 1 && !sel[0].d) url = "/api/download?" + qs({ acct: S.acct, bucket: S.bucket, key: keyOf(sel[0]) });
  else url = "/api/zip?" + qs({ acct: S.acct, bucket: S.bucket, prefix: S.prefix, key: sel.map(keyOf) });
  try { url = await downloadURL(url); } catch (e) { toastError(e); return; }
  const a = h("a", { href: url, download: "", hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  openTransfers();
}

async function deleteSelection() {
  const sel = selectedRows();
  if (!sel.length) return;
  const nd = sel.filter((o) => o.d).length;
  const nf = sel.length - nd;
  const what = [nf ? fmtCount(nf) + (nf === 1 ? " object" : " objects") : "", nd ? fmtCount(nd) + (nd === 1 ? " folder and everything in it" : " folders and everything in them") : ""].filter(Boolean).join(" and ");
  const ok = await confirmDialog({
    title: "Delete " + what + "?",
    message: sel.length === 1 ? "“" + keyOf(sel[0]) + "” will be deleted from " + S.bucket + "." : "They will be deleted from " + S.bucket + ".",
    detail: "This cannot be undone (unless the bucket keeps versions).", confirm: "Delete", danger: true,
  });
  if (!ok) return;
  try {
    await api("POST", "/api/delete", { acct: S.acct, bucket: S.bucket, keys: sel.map(keyOf) });
    openTransfers();
  } catch (e) { toastError(e); }
}

async function renameSelection() {
  const sel = selectedRows();
  if (sel.length !== 1) return;
  const o = sel[0];
  const old = o.d ? o.n.slice(0, -1) : o.n;
  const base = old.split("/").pop();
  const name = await promptDialog({ title: "Rename " + (o.d ? "folder" : "object"), label: "New name", value: base, confirm: "Rename", testid: "rename-input", select: o.d ? null : [0, base.lastIndexOf(".") > 0 ? base.lastIndexOf(".") : base.length] });
  if (!name || name === base) return;
  const parent = keyOf(o).slice(0, keyOf(o).length - (o.d ? base.length + 1 : base.length));
  try {
    await api("POST", "/api/copy", { acct: S.acct, bucket: S.bucket, keys: [keyOf(o)], move: true, to: parent + name + (o.d ? "/" : "") });
    openTransfers();
  } catch (e) { toastError(e); }
}

async function copySelection() {
  const sel = selectedRows();
  if (!sel.length) return;
  const r = await copyDialog({ acct: S.acct, bucket: S.bucket, prefix: S.prefix, count: sel.length, accounts: S.accounts.concat(S.profiles), buckets: S.buckets });
  if (!r) return;
  try {
    await api("POST", "/api/copy", { acct: S.acct, bucket: S.bucket, keys: sel.map(keyOf), move: r.move, dst_acct: r.acct, dst_bucket: r.bucket, dst_prefix: r.prefix });
    openTransfers();
  } catch (e) { toastError(e); }
}

async function newFolder() {
  const name = await promptDialog({ title: "New folder", label: "Folder name", value: "", confirm: "Create", testid: "new-folder-input" });
  if (!name) return;
  try {
    await api("POST", "/api/mkdir", { acct: S.acct, bucket: S.bucket, prefix: S.prefix, name });
    loadList();
  } catch (e) { toastError(e); }
}

function refresh() {
  loadAccounts();
  if (S.acct) loadBuckets();
  loadList();
}

// ---------- search ----------

function startSearch() {
  if (!S.bucket) return;
  S.search = { q: "", done: false };
  renderSearchBar(true);
}

function stopSearch(reload) {
  if (!S.search) return;
  S.search = null;
  renderSearchBar();
  if (reload) loadList();
}

function renderSearchBar(focus) {
  const bar = $("searchbar");
  if (!S.search) { bar.hidden = true; clear(bar); return; }
  bar.hidden = false;
  clear(bar);
  const input = h("input", { type: "search", value: S.search.q, placeholder: "Search names under s3://" + S.bucket + "/" + S.prefix, testid: "search-input", "aria-label": "Search" });
  const run = () => { S.search.q = input.value.trim(); if (S.search.q) { S.search.done = false; loadList(); renderSearchBar(); } };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); run(); } if (e.key === "Escape") stopSearch(true); });
  add(bar, icon("link"), input,
    h("button", { class: "btn primary", testid: "search-run", onclick: run }, "Search"),
    S.loading && S.search.q ? h("button", { class: "btn", testid: "search-stop", onclick: () => { stopList(); S.loading = false; renderList(); renderSearchBar(); } }, "Stop") : null,
    h("button", { class: "btn", testid: "search-close", onclick: () => stopSearch(true) }, "Close"));
  if (focus) input.focus();
}

// ---------- uploads ----------

const uploadQueue = [];
let uploadsRunning = 0;
const UPLOAD_PARALLEL = 2;

function enqueueUploads(items) {
  // items: [{file, key}]
  for (const it of items) uploadQueue.push({ ...it, acct: S.acct, bucket: S.bucket });
  S.uploadsWaiting = uploadQueue.length;
  renderTransfers();
  openTransfers();
  pumpUploads();
}

function pumpUploads() {
  while (uploadsRunning < UPLOAD_PARALLEL && uploadQueue.length) {
    const it = uploadQueue.shift();
    S.uploadsWaiting = uploadQueue.length;
    uploadsRunning++;
    const send = it.file.size >= PARTS_FROM ? uploadParts(it) :
      fetch("/api/upload?" + qs({ acct: it.acct, bucket: it.bucket, key: it.key, size: it.file.size }), {
        method: "PUT", body: it.file, credentials: "same-origin", headers: sessionHeaders({ "Content-Type": it.file.type || "application/octet-stream" }),
      }).then(checkResponse);
    send.catch((e) => {
      if (!(e instanceof APIError) || e.kind !== "interrupted") toastError(e, "Upload of " + it.key + " failed");
    }).finally(() => {
      uploadsRunning--;
      renderTransfers();
      if (it.acct === S.acct && it.bucket === S.bucket && !uploadQueue.length && uploadsRunning === 0) loadList();
      pumpUploads();
    });
  }
  renderTransfers();
}

async function checkResponse(res) {
  if (!res.ok) {
    let d = null;
    try { d = await res.json(); } catch { /* not JSON */ }
    throw new APIError(res.status, d);
  }
}

// A file from the multipart threshold up (transfer.DefaultMultipartThreshold)
// goes up in parts: s3sso creates the multipart upload, the page sends the
// file's slices, PARTS_IN_FLIGHT at a time over all files, each streamed
// into one UploadPart, then s3sso completes it (or aborts it on a failure).
const PARTS_FROM = 32 << 20;
const PARTS_IN_FLIGHT = 4;
let partSlots = PARTS_IN_FLIGHT;
const partWaiters = [];

function partSlot() {
  if (partSlots > 0) { partSlots--; return Promise.resolve(); }
  return new Promise((resolve) => partWaiters.push(resolve));
}

function freePartSlot() {
  const next = partWaiters.shift();
  if (next) next(); else partSlots++;
}

async function uploadParts(it) {
  const start = await fetch("/api/uploads?" + qs({ acct: it.acct, bucket: it.bucket, key: it.key, size: it.file.size }), {
    method: "POST", credentials: "same-origin", headers: sessionHeaders({ "Content-Type": it.file.type || "application/octet-stream" }),
  });
  await checkResponse(start);
  const { id, part_size: size, parts } = await start.json();
  const stop = new AbortController();
  let next = 1;
  let failed = null;
  const worker = async () => {
    while (!failed && next <= parts) {
      const n = next++;
      await partSlot();
      try {
        if (failed) return;
        const res = await fetch("/api/uploads/" + id + "/parts/" + n, {
          method: "PUT", body: it.file.slice((n - 1) * size, Math.min(n * size, it.file.size)),
          credentials: "same-origin", headers: sessionHeaders(), signal: stop.signal,
        });
        await checkResponse(res);
      } catch (e) {
        if (!failed) failed = e;
        stop.abort();
        throw failed;
      } finally {
        freePartSlot();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, parts) }, worker));
  } catch (e) {
    await api("DELETE", "/api/uploads/" + id).catch(() => { /* already over */ });
    throw failed || e;
  }
  await checkResponse(await fetch("/api/uploads/" + id + "/complete", { method: "POST", credentials: "same-origin", headers: sessionHeaders() }));
}

function filesFromInput(input, folder) {
  const items = [];
  for (const f of input.files) {
    const rel = folder && f.webkitRelativePath ? f.webkitRelativePath : f.name;
    items.push({ file: f, key: S.prefix + rel });
  }
  input.value = "";
  if (items.length) enqueueUploads(items);
}

// Dropped folders are walked with the entries API.
async function filesFromDrop(dt) {
  const entries = [];
  for (const it of dt.items) {
    const e = it.webkitGetAsEntry ? it.webkitGetAsEntry() : null;
    if (e) entries.push(e);
    else if (it.kind === "file") { const f = it.getAsFile(); if (f) entries.push({ file: f }); }
  }
  const out = [];
  const walk = async (e, path) => {
    if (e.file && !e.isFile && !e.isDirectory) { out.push({ file: e.file, key: S.prefix + path + e.file.name }); return; }
    if (e.isFile) {
      const f = await new Promise((res, rej) => e.file(res, rej));
      out.push({ file: f, key: S.prefix + path + f.name });
    } else if (e.isDirectory) {
      const r = e.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => r.readEntries(res, rej));
        if (!batch.length) break;
        for (const c of batch) await walk(c, path + e.name + "/");
      }
    }
  };
  for (const e of entries) await walk(e, "");
  if (out.length) enqueueUploads(out);
}

// ---------- transfers ----------

function openTransfers() {
  S.trOpen = true;
  renderTransfers();
}

function renderTransfers() {
  const list = clear($("tr-list"));
  $("tr-toggle").setAttribute("aria-expanded", String(S.trOpen));
  list.hidden = !S.trOpen;
  const items = Array.from(S.transfers.values());
  let running = 0, rate = 0, left = 0;
  for (const t of items) {
    if (t.state === "running") {
      running++;
      rate += t.rate || 0;
      if (t.bytes_total > t.bytes_done) left += t.bytes_total - t.bytes_done;
    }
  }
  const parts = [];
  if (running) parts.push(running + " running");
  if (S.uploadsWaiting) parts.push(S.uploadsWaiting + " waiting");
  if (rate > 0) parts.push(fmtSize(rate) + "/s");
  if (rate > 0 && left > 0) parts.push(fmtDuration(left / rate) + " left");
  const done = items.filter((t) => t.state !== "running").length;
  if (!parts.length) parts.push(items.length ? done + " finished" : "No transfers");
  $("tr-summary").textContent = parts.join(" · ");
  if (!S.trOpen) return;
  for (const t of items.slice().reverse()) {
    const pct = t.bytes_total > 0 ? Math.min(100, (100 * t.bytes_done) / t.bytes_total) : t.state === "done" ? 100 : t.objects_total ? (100 * t.objects_done) / t.objects_total : 0;
    const bar = h("div", { class: "bar" }, h("div"));
    bar.firstChild.style.width = pct.toFixed(1) + "%";
    let info;
    if (t.state === "running") {
      info = (t.paused ? "paused, waiting for sign-in · " : "") + fmtSize(t.bytes_done) + (t.bytes_total ? " of " + fmtSize(t.bytes_total) : "") + (t.rate > 0 ? " · " + fmtSize(t.rate) + "/s" : "");
      if (t.rate > 0 && t.bytes_total > t.bytes_done) info += " · " + fmtDuration((t.bytes_total - t.bytes_done) / t.rate);
    } else {
      info = { done: "Done", failed: "Failed", cancelled: "Cancelled" }[t.state] + (t.objects_total > 1 ? " · " + fmtCount(t.objects_done) + " of " + fmtCount(t.objects_total) : "") + (t.bytes_done ? " · " + fmtSize(t.bytes_done) : "");
    }
    const btn = t.state === "running"
      ? h("button", { class: "btn small", testid: "transfer-cancel", onclick: () => api("POST", "/api/transfers/" + t.id + "/cancel").catch(toastError) }, "Cancel")
      : t.retry && t.state !== "done" ? h("button", { class: "btn small", testid: "transfer-retry", onclick: () => api("POST", "/api/transfers/" + t.id + "/retry").catch(toastError) }, "Retry") : h("span");
    const arrow = { upload: "up", download: "down" }[t.op];
    add(list, h("li", { class: "state-" + t.state, testid: "transfer", "data-id": t.id, "data-state": t.state, "data-op": t.op },
      arrow ? icon(arrow) : icon(t.op === "delete" ? "trash" : "copy"),
      h("span", { class: "title", title: t.title }, t.op.charAt(0).toUpperCase() + t.op.slice(1) + " " + t.title),
      bar, h("span", { class: "muted", testid: "transfer-info" }, info), btn,
      t.error ? h("span", { class: "err", testid: "transfer-error" }, t.error.message + (t.error.hint ? " — " + t.error.hint : "")) : null,
      !t.error && t.errors && t.errors.length ? h("span", { class: "err" }, t.errors.slice(0, 3).join("; ")) : null));
  }
}

// ---------- banners, prompts, toasts ----------

const expired = new Map(); // ref -> message (sign-in expired, transfers paused)

function renderBanners() {
  const el = clear($("banners"));
  for (const [ref, msg] of expired) {
    add(el, h("div", { class: "banner", testid: "relogin-banner", "data-ref": ref }, h("strong", null, msg), h("div", { class: "grow" })));
  }
  for (const p of S.prompts.values()) {
    if (p.kind !== "signin") continue;
    const b = h("div", { class: "banner info", testid: "signin-panel", "data-ref": p.ref, "data-flow": p.flow });
    if (p.flow === "device") {
      add(b, h("span", null, "Sign in to " + (p.ref || p.provider) + ": open "),
        h("a", { href: p.url, target: "_blank", rel: "noopener noreferrer", testid: "signin-link" }, p.verification_url || p.url),
        p.user_code ? [h("span", null, " and confirm the code "), h("span", { class: "code", testid: "device-code" }, p.user_code)] : null);
    } else {
      add(b, h("span", null, "Sign in to " + (p.ref || p.provider) + (p.opened ? " in the page that opened. " : " to go on. ")),
        h("a", { href: p.url, target: "_blank", rel: "noopener noreferrer", testid: "signin-link", class: "btn small primary" }, "Open the sign-in page"));
    }
    add(b, h("div", { class: "grow" }), p.ref ? h("button", { class: "btn small", testid: "signin-cancel", onclick: () => api("POST", "/api/accounts/" + encodeURIComponent(p.ref) + "/login/cancel").catch(toastError) }, "Cancel") : null);
    add(el, b);
  }
}

const asked = new Set();
async function handlePrompt(p) {
  S.prompts.set(p.id, p);
  if (p.kind === "signin") {
    renderBanners();
    if (p.open_here && signInClicked && Date.now() - signInClicked < 5000) {
      window.open(p.url, "_blank", "noopener,noreferrer");
      p.opened = true;
      renderBanners();
    }
    return;
  }
  if (asked.has(p.id)) return;
  asked.add(p.id);
  let ans;
  if (p.kind === "choose") {
    const i = await choiceDialog({ title: "Choose the " + p.what, subtitle: "for " + p.ref, labels: p.labels, promptId: p.id });
    ans = i === null ? { cancel: true } : { index: i };
  } else if (p.kind === "ask") {
    const v = await promptDialog({ title: p.what, label: p.what, placeholder: p.example, confirm: "OK", testid: "prompt-input", promptId: p.id });
    ans = v === null ? { cancel: true } : { text: v };
  } else if (p.kind === "confirm") {
    const ok = await confirmDialog({ title: p.what, message: p.cause || "", confirm: "Sign in", promptId: p.id });
    ans = { yes: !!ok };
  }
  if (!S.prompts.has(p.id)) return;
  api("POST", "/api/prompts/" + p.id, ans).catch(() => { /* answered elsewhere */ });
}
let signInClicked = 0;

export function toast({ message, hint, kind = "info", timeout = 8000, login }) {
  const el = h("div", { class: "toast " + kind, testid: "toast", "data-kind": kind, role: kind === "error" ? "alert" : "status" },
    h("div", null, message), hint ? h("div", { class: "hint" }, hint) : null,
    h("div", { class: "row2" }, login ? h("button", { class: "btn small primary", onclick: () => { el.remove(); signIn(login); } }, "Sign in to " + login) : null,
      h("button", { class: "btn small", onclick: () => el.remove() }, "Dismiss")));
  $("toasts").append(el);
  while ($("toasts").children.length > 5) $("toasts").firstChild.remove();
  if (timeout && kind !== "error") setTimeout(() => el.remove(), timeout);
}

export function toastError(e, prefix) {
  if (e && e.name === "AbortError") return;
  toast({ message: (prefix ? prefix + ": " : "") + (e.message || String(e)), hint: e.hint, kind: "error", login: e.login });
}

// ---------- events ----------

let listRefreshTimer = 0;
// connectEvents reads the server's event stream (SSE) with fetch, which,
// unlike EventSource, sends the session header; it reconnects when the
// stream ends.
async function connectEvents() {
  for (;;) {
    try {
      const res = await fetch("/api/events", { credentials: "same-origin", headers: sessionHeaders() });
      if (res.ok && res.body) {
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const msg = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = msg.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
            if (data) onEvent(data);
          }
        }
      }
    } catch { /* the server went away: retry */ }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onEvent(raw) {
  {
    const ev = JSON.parse(raw);
    const d = ev.data;
    switch (ev.type) {
      case "transfer": {
        const prev = S.transfers.get(d.id);
        S.transfers.set(d.id, d);
        renderTransfers();
        if (prev && prev.state === "running" && d.state !== "running") {
          if (d.state === "failed") toast({ message: d.op + " failed: " + d.title, hint: d.error ? d.error.message + (d.error.hint ? " — " + d.error.hint : "") : "", kind: "error", login: d.error && d.error.login });
        }
        break;
      }
      case "transfers-cleared": for (const id of d || []) S.transfers.delete(id); renderTransfers(); break;
      case "prompt": handlePrompt(d); break;
      case "prompt-done": S.prompts.delete(d.id); renderBanners(); closePromptDialog(d.id); break;
      case "notice": onNotice(d); break;
      case "login":
        if (d.state === "done") toast({ message: "Signed in to " + d.ref + (d.expires ? " until " + fmtTime(d.expires) : "") + ".", kind: "ok", timeout: 4000 });
        else if (d.state === "failed") toast({ message: "Sign-in to " + d.ref + " failed: " + d.Error.message, hint: d.Error.hint, kind: "error" });
        loadAccounts();
        if (d.state === "done" && d.ref === S.acct) { loadBuckets(); if (S.bucket && S.listError) loadList(); }
        break;
      case "accounts": loadAccounts(); break;
      case "changed":
        if (d.acct === S.acct && d.bucket === S.bucket && !S.search) {
          clearTimeout(listRefreshTimer);
          listRefreshTimer = setTimeout(() => { if (!S.loading) reloadKeepSelection(); }, 300);
        }
        break;
      case "resync": api("GET", "/api/transfers").then((ts) => { S.transfers = new Map(ts.map((t) => [t.id, t])); renderTransfers(); }).catch(() => {}); break;
    }
  }
}

function reloadKeepSelection() {
  const body = $("grid-body");
  const top = body.scrollTop;
  loadList();
  requestAnimationFrame(() => { body.scrollTop = top; });
}

function onNotice(n) {
  if (n.kind === "sign-in-expired") {
    expired.set(n.ref, n.message);
    for (const t of S.transfers.values()) if (t.ref === n.ref && t.state === "running") t.paused = true;
    renderAccounts(); // the account's dot and card, and the banners
    renderTransfers();
    return;
  }
  if (n.kind === "job-resumed") {
    expired.delete(n.ref);
    for (const t of S.transfers.values()) t.paused = false;
    renderAccounts();
    renderTransfers();
  }
  toast({ message: n.message, kind: n.kind === "warning" ? "warning" : n.kind === "job-resumed" ? "ok" : "info" });
}

function closePromptDialog(id) {
  const d = $("dialog");
  if (d.open && d.dataset.prompt === id) d.close("");
}

// ---------- theme ----------

function applyTheme(t) {
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  $("theme").title = "Theme: " + (t || "system") + " (click to change)";
}

// ---------- start ----------

function init() {
  $("refresh").append(icon("refresh"));
  $("theme").append(icon("theme"));
  let theme = localStorage.getItem("s3sso-theme") || "";
  applyTheme(theme);
  $("theme").addEventListener("click", () => {
    theme = { "": "light", light: "dark", dark: "" }[theme];
    localStorage.setItem("s3sso-theme", theme);
    applyTheme(theme);
  });
  $("refresh").addEventListener("click", refresh);
  $("add-account").addEventListener("click", addAccount);
  $("acct-switch").addEventListener("click", () => { const first = $("accounts").querySelector("li[aria-selected=true]") || $("accounts").querySelector("li[role=option]"); if (first) first.focus?.(); $("accounts").scrollIntoView({ block: "nearest" }); });
  $("pathbox").addEventListener("submit", (e) => {
    e.preventDefault();
    let v = $("path-input").value.trim();
    if (!v) return;
    v = v.replace(/^s3:\/\//, "");
    const i = v.indexOf("/");
    const bucket = i < 0 ? v : v.slice(0, i);
    let prefix = i < 0 ? "" : v.slice(i + 1);
    if (prefix && !prefix.endsWith("/")) prefix += "/";
    if (!S.acct) { toast({ message: "Choose an account first.", kind: "warning" }); return; }
    go(S.acct, bucket, prefix);
    $("grid").focus();
  });
  $("filter").addEventListener("input", () => { S.filter = $("filter").value; rebuildView(); });
  $("search-btn").addEventListener("click", startSearch);
  $("grid-body").addEventListener("scroll", scheduleRows, { passive: true });
  new ResizeObserver(scheduleRows).observe($("grid-body"));
  $("grid-body").addEventListener("click", onGridClick);
  $("grid").addEventListener("keydown", onKey);
  document.addEventListener("keydown", (e) => { if (!$("grid").contains(e.target)) { if ((e.ctrlKey || e.metaKey) && ["l", "f"].includes(e.key.toLowerCase())) onKey(e); } });
  $("check-all").addEventListener("change", (e) => { if (e.target.checked) S.view.forEach((o) => S.sel.add(o.n)); else S.sel.clear(); selectionChanged(); });
  for (const b of document.querySelectorAll(".grid-head [data-sort]")) {
    b.addEventListener("click", () => {
      const k = b.dataset.sort;
      S.sort = S.sort.key === k ? { key: k, dir: -S.sort.dir } : { key: k, dir: 1 };
      rebuildView();
    });
  }
  $("upload-files").addEventListener("click", () => $("file-input").click());
  $("upload-folder").addEventListener("click", () => $("folder-input").click());
  $("file-input").addEventListener("change", (e) => filesFromInput(e.target, false));
  $("folder-input").addEventListener("change", (e) => filesFromInput(e.target, true));
  $("new-folder").addEventListener("click", newFolder);
  $("download").addEventListener("click", () => downloadSelection());
  $("rename").addEventListener("click", renameSelection);
  $("copy").addEventListener("click", copySelection);
  $("share").addEventListener("click", () => { const s = selectedRows(); if (s.length === 1) shareDialog({ acct: S.acct, bucket: S.bucket, key: keyOf(s[0]) }); });
  $("delete").addEventListener("click", deleteSelection);
  $("tr-toggle").addEventListener("click", () => { S.trOpen = !S.trOpen; renderTransfers(); });
  $("tr-clear").addEventListener("click", () => api("POST", "/api/transfers/clear").catch(toastError));
  document.addEventListener("click", (e) => { if (e.target.closest("[data-testid=sign-in],[data-testid=sign-in-device],[data-testid=error-sign-in]")) signInClicked = Date.now(); }, true);
  // Drag and drop onto the listing.
  const grid = $("grid");
  let depth = 0;
  grid.addEventListener("dragenter", (e) => { if (!S.bucket || !e.dataTransfer.types.includes("Files")) return; depth++; $("dropzone").hidden = false; $("dropzone").textContent = "Drop to upload to s3://" + S.bucket + "/" + S.prefix; });
  grid.addEventListener("dragover", (e) => { if (S.bucket && e.dataTransfer.types.includes("Files")) e.preventDefault(); });
  grid.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) $("dropzone").hidden = true; });
  grid.addEventListener("drop", (e) => { e.preventDefault(); depth = 0; $("dropzone").hidden = true; if (S.bucket) filesFromDrop(e.dataTransfer).catch(toastError); });
  window.addEventListener("popstate", () => applyRoute(parseRoute()));
  connectEvents();
  loadAccounts().then(() => {
    const r = parseRoute();
    if (!r.acct) {
      const start = S.start || S.defaultAcct;
      if (start && accountByName(start)) { go(start, "", "", false); history.replaceState(null, "", routeURL(start, "", "")); return; }
    }
    applyRoute(r);
  });
  renderTransfers();
  renderList();
}

init();
