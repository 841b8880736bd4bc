// Dialogs: one <dialog> element, filled per use. Each returns a promise of
// the answer (null when cancelled).
import { h, add, clear, api, fmtFullDate, qs } from "./util.js";

const dlg = () => document.getElementById("dialog");

export function dialogOpen() { return dlg().open; }

// show fills the dialog and opens it. build(form, close) returns the body
// nodes; buttons: [{label, value, primary, danger, testid}]. The promise
// resolves with what close() is given, or null on Esc/cancel.
export function show({ title, testid, build, buttons, left, promptId, onSubmit }) {
  const d = dlg();
  if (d.open) d.close("");
  clear(d);
  d.dataset.prompt = promptId || "";
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (done) return; done = true; resolve(v); };
    const close = (v) => { finish(v); d.close(); };
    const form = h("form", { method: "dialog", testid: testid || "dialog-form", novalidate: true });
    const body = h("div", { class: "body" });
    const errBox = h("div", { class: "form-error", testid: "form-error", hidden: true });
    const ctx = { form, body, close, error: (e) => showError(form, errBox, e) };
    const nodes = build ? build(ctx) : [];
    add(body, errBox, ...[].concat(nodes));
    const footer = h("footer");
    if (left) add(footer, h("div", { class: "left" }, left(ctx)));
    for (const b of buttons || []) {
      add(footer, h("button", {
        type: b.submit ? "submit" : "button", class: "btn" + (b.primary ? " primary" : "") + (b.danger ? " danger solid" : ""), testid: b.testid || "dialog-" + (b.value || "button"),
        onclick: b.submit ? undefined : (e) => { e.preventDefault(); close(b.value === undefined ? null : b.value); },
      }, b.label));
    }
    add(form, h("header", null, title), body, footer);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form, errBox);
      if (!onSubmit) { close(true); return; }
      const btns = form.querySelectorAll("footer button");
      btns.forEach((b) => (b.disabled = true));
      try {
        const v = await onSubmit(ctx);
        if (v !== undefined) close(v);
      } catch (err) {
        ctx.error(err);
      } finally {
        btns.forEach((b) => (b.disabled = false));
      }
    });
    add(d, form);
    d.addEventListener("close", () => finish(null), { once: true });
    d.showModal();
    const first = form.querySelector("[autofocus]") || form.querySelector(".body input:not([type=hidden]):not([disabled]), .body select, .body textarea");
    if (first) first.focus();
  });
}

function clearErrors(form, errBox) {
  errBox.hidden = true;
  clear(errBox);
  for (const f of form.querySelectorAll(".field.invalid")) {
    f.classList.remove("invalid");
    const e = f.querySelector(".ferr");
    if (e) e.remove();
  }
}

// showError puts an error beside its field when the server names one
// (a CLI flag name: the dialog's fields carry the same names), else on top.
function showError(form, errBox, e) {
  const field = e.field && form.querySelector('.field[data-field="' + CSS.escape(e.field) + '"]');
  if (field && !field.closest("[hidden]")) {
    field.classList.add("invalid");
    add(field, h("div", { class: "ferr", testid: "field-error" }, e.message + (e.hint ? " — " + e.hint : "")));
    const inp = field.querySelector("input, select, textarea");
    if (inp) inp.focus();
    return;
  }
  if (field) {
    // In a hidden section (Advanced settings): open it.
    const sec = field.closest("[hidden]");
    if (sec) { sec.hidden = false; return showError(form, errBox, e); }
  }
  errBox.hidden = false;
  add(clear(errBox), h("div", null, e.message), e.hint ? h("div", { class: "hint" }, e.hint) : null);
}

function field(name, label, input, help) {
  input.name = name;
  input.id = "f-" + name;
  if (!input.getAttribute("data-testid")) input.setAttribute("data-testid", "field-" + name);
  return h("div", { class: "field", "data-field": name }, h("label", { for: "f-" + name }, label), input, help ? h("div", { class: "help" }, help) : null);
}
const text = (value, placeholder, type = "text") => h("input", { type, value: value || "", placeholder: placeholder || "", spellcheck: false, autocomplete: "off" });
function checkbox(name, label, checked) {
  const inp = h("input", { type: "checkbox", name, checked: !!checked, id: "f-" + name, testid: "field-" + name });
  return h("div", { class: "check field", "data-field": name }, inp, h("label", { for: "f-" + name }, label));
}

// ---------- accounts ----------

const TYPES = [
  ["sso", "Amazon S3 via SSO"],
  ["oidc", "OpenID Connect"],
  ["profile", "AWS profile"],
  ["keys", "Access keys"],
];

// accountDialog is S3 Browser's Add New Account / Edit Account dialog.
export function accountDialog({ account, profiles }) {
  const edit = !!account;
  const st = (account && account.settings) || { "list-all-buckets": true };
  let type = account ? account.type : "sso";
  const sections = {};
  const val = (k) => st[k] || "";
  const build = ({ form }) => {
    const name = field("name", "Account name", text(account ? account.name : "", "work"), edit ? null : "Letters, digits, '.', '_' or '-'");
    if (edit) name.querySelector("input").disabled = true;
    const profileList = h("datalist", { id: "profile-names" }, (profiles || []).map((p) => h("option", { value: p.label })));
    const profileInput = text(val("profile"), "default");
    profileInput.setAttribute("list", "profile-names");
    sections.sso = h("div", { testid: "form-sso" },
      field("start-url", "Start URL", text(val("start-url"), "https://d-1234567890.awsapps.com/start", "url")),
      field("sso-region", "SSO Region", text(val("sso-region"), "eu-west-1")),
      field("account-id", "Account ID", text(val("account-id"), "111122223333"), "Leave empty to pick it from the portal's list after sign-in."),
      field("role-name", "Role name", text(val("role-name"), "ReadOnly"), "Leave empty to pick it after sign-in."));
    sections.oidc = h("div", { testid: "form-oidc" },
      field("issuer", "Issuer URL", text(val("issuer"), "https://idp.example.com", "url")),
      field("client-id", "Client ID", text(val("client-id"), "s3sso")),
      field("client-secret", "Client secret", text("", val("client-secret-set") ? "(saved; type to replace)" : "optional", "password")),
      field("scopes", "Scopes", text(val("scopes"), "openid offline_access")),
      field("sts-endpoint", "STS endpoint", text(val("sts-endpoint"), "https://sts.amazonaws.com/", "url"), "For MinIO: the server's URL."),
      field("role-arn", "Role ARN", text(val("role-arn"), "arn:aws:iam::111122223333:role/Name"), "Empty for MinIO's claim-based policies."));
    sections.profile = h("div", { testid: "form-profile" }, profileList,
      field("profile", "Profile", profileInput, "A profile of ~/.aws/config of any kind."));
    sections.keys = h("div", { testid: "form-keys" },
      field("access-key-id", "Access key ID", text(val("access-key-id"), "AKIA…")),
      field("secret-access-key", "Secret access key", text("", edit ? "(saved; type to replace)" : "", "password"), "Kept in the OS keyring, or a 0600 file when there is none."));
    const conn = [
      field("endpoint-url", "Endpoint URL", text(val("endpoint-url"), "https://s3.example.com (empty: AWS)", "url")),
      field("region", "Region", text(val("region"), "us-east-1")),
      checkbox("path-style", "Path-style addressing (bucket in the path)", st["path-style"]),
    ];
    const connBox = h("div", { testid: "form-connection" }, conn);
    const adv = h("div", { testid: "advanced-settings", hidden: true },
      h("div", { class: "adv-head" }, "Advanced settings"),
      checkbox("dual-stack", "Use dual-stack (IPv4 and IPv6) endpoints", st["dual-stack"]),
      checkbox("list-all-buckets", "List all my buckets", st["list-all-buckets"] !== false),
      checkbox("check-cloudfront", "Check CloudFront distributions", st["check-cloudfront"]),
      field("external-bucket", "External buckets", h("textarea", { value: val("external-bucket"), placeholder: "bucket\nother-bucket/path/", rows: 4 }), "One per line; BUCKET or BUCKET/path. Shown even when buckets cannot be listed."),
      field("header-rule", "Upload headers", h("textarea", { value: val("header-rule"), placeholder: "*.css:Cache-Control=max-age=86400\n*.gz:Content-Encoding=gzip", rows: 3 }),
        "Headers set on uploads whose name matches, one PATTERN:Header=Value a line: Cache-Control, Content-Type, Content-Disposition, Content-Encoding, Content-Language, Expires or x-amz-meta-NAME."));
    const seg = h("div", { class: "segmented", role: "group", "aria-label": "Account type", testid: "account-type" },
      TYPES.map(([t, label]) => h("button", { type: "button", testid: "type-" + t, "data-type": t, "aria-pressed": String(t === type), disabled: edit && t !== type, onclick: () => { type = t; update(); } }, label)));
    const update = () => {
      for (const [t, el] of Object.entries(sections)) el.hidden = t !== type;
      for (const b of seg.children) b.setAttribute("aria-pressed", String(b.dataset.type === type));
      // Keys and OpenID Connect accounts usually name a server: show the
      // connection settings in the form; others have them under Advanced.
      if (type === "keys" || type === "oidc") sections[type].after(connBox);
      else adv.querySelector(".adv-head").after(connBox);
    };
    form.addEventListener("toggle-advanced", () => { adv.hidden = !adv.hidden; });
    const nodes = [edit ? null : seg, name, sections.sso, sections.oidc, sections.profile, sections.keys, adv];
    queueMicrotask(update);
    return nodes.filter(Boolean);
  };
  return show({
    title: edit ? "Edit account " + account.label : "Add new account", testid: "account-dialog",
    build,
    left: ({ form }) => h("button", { type: "button", class: "link-btn", testid: "advanced-toggle", onclick: () => form.dispatchEvent(new Event("toggle-advanced")) }, "Advanced settings"),
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: edit ? "Save" : "Add account", submit: true, primary: true, testid: "dialog-save" }],
    onSubmit: async ({ form }) => {
      const get = (n) => { const el = form.elements[n]; return el ? (el.type === "checkbox" ? el.checked : el.value) : ""; };
      const names = ["endpoint-url", "region", "path-style", "dual-stack", "list-all-buckets", "check-cloudfront", "external-bucket",
        "start-url", "sso-region", "account-id", "role-name", "profile", "issuer", "client-id", "client-secret", "scopes", "sts-endpoint", "role-arn",
        "access-key-id", "secret-access-key", "header-rule"];
      const settings = {};
      for (const n of names) settings[n] = get(n);
      const name = edit ? account.name : get("name").trim();
      if (edit) await api("PUT", "/api/accounts/" + encodeURIComponent(name), { name, type, settings });
      else await api("POST", "/api/accounts", { name, type, settings });
      return name;
    },
  });
}

// ---------- generic ----------

export function confirmDialog({ title, message, detail, confirm = "OK", danger, promptId }) {
  return show({
    title, testid: "confirm-dialog", promptId,
    build: () => [message ? h("p", null, message) : null, detail ? h("p", { class: "muted" }, detail) : null].filter(Boolean),
    // The destructive button is not the default: Enter does not press it.
    buttons: [{ label: "Cancel", value: false, testid: "dialog-cancel" }, { label: confirm, value: true, primary: !danger, danger, testid: "dialog-confirm" }],
  }).then((v) => !!v);
}

export function promptDialog({ title, label, value = "", placeholder = "", confirm = "OK", testid, select, promptId }) {
  return show({
    title, testid: "prompt-dialog", promptId,
    build: () => {
      const inp = text(value, placeholder);
      inp.setAttribute("data-testid", testid || "prompt-input");
      inp.autofocus = true;
      if (select) queueMicrotask(() => inp.setSelectionRange(select[0], select[1]));
      return [field("value", label, inp)];
    },
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: confirm, submit: true, primary: true, testid: "dialog-confirm" }],
    onSubmit: async ({ form }) => {
      const v = form.elements.value.value.trim();
      if (!v) throw { message: "Type a value", field: "value" };
      return v;
    },
  });
}

export function choiceDialog({ title, subtitle, labels, promptId }) {
  let chosen = 0;
  return show({
    title, testid: "choice-dialog", promptId,
    build: () => {
      const ul = h("ul", { class: "choices", role: "listbox", testid: "choices" });
      labels.forEach((l, i) => add(ul, h("li", {
        role: "option", testid: "choice", "data-index": String(i), "aria-selected": String(i === 0), tabIndex: 0,
        onclick: () => { chosen = i; for (const c of ul.children) c.setAttribute("aria-selected", String(c.dataset.index === String(i))); },
        ondblclick: () => ul.closest("form").requestSubmit(),
      }, l)));
      return [subtitle ? h("p", { class: "muted" }, subtitle) : null, ul].filter(Boolean);
    },
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: "Choose", submit: true, primary: true, testid: "dialog-confirm" }],
    onSubmit: async () => chosen,
  });
}

// ---------- share ----------

const EXPIRIES = [["900", "15 minutes"], ["3600", "1 hour"], ["43200", "12 hours"], ["86400", "1 day"], ["604800", "7 days"]];

export function shareDialog({ acct, bucket, key }) {
  return show({
    title: "Share " + key.split("/").pop(), testid: "share-dialog",
    build: ({ body }) => {
      const out = h("div", { testid: "share-result" });
      body.dataset.out = "";
      return [
        h("p", { class: "muted" }, "A presigned link lets anyone who has it download (GET) or upload (PUT) this object until it expires, without an account. Share it like a password."),
        field("method", "Link allows", h("select", null, h("option", { value: "GET" }, "Download (GET)"), h("option", { value: "PUT" }, "Upload (PUT)"))),
        field("expires", "Expires after", h("select", null, EXPIRIES.map(([v, l]) => h("option", { value: v, selected: v === "3600" }, l)))),
        out,
      ];
    },
    buttons: [{ label: "Close", value: null, testid: "dialog-cancel" }, { label: "Create link", submit: true, primary: true, testid: "share-create" }],
    onSubmit: async ({ form }) => {
      const r = await api("POST", "/api/presign", { acct, bucket, key, method: form.elements.method.value, expires_seconds: Number(form.elements.expires.value) });
      const out = clear(form.querySelector("[data-testid=share-result]"));
      const input = h("input", { readOnly: true, value: r.url, testid: "share-url" });
      add(out, 
        r.credentials_expire ? h("div", { class: "warnbox", testid: "share-warning" }, "This link stops working at " + fmtFullDate(r.credentials_expire) + ", when the temporary credentials that sign it expire — before the time you chose.") : null,
        h("div", { class: "urlbox" }, input, h("button", { type: "button", class: "btn", testid: "share-copy", onclick: () => { input.select(); navigator.clipboard?.writeText(r.url).catch(() => document.execCommand("copy")); } }, "Copy")),
        h("div", { class: "muted" }, "Works until " + fmtFullDate(r.effective_expiry) + "."));
      input.select();
      return undefined; // keep the dialog open
    },
  });
}

// ---------- copy / move ----------

export function copyDialog({ acct, bucket, prefix, count, accounts, buckets }) {
  return show({
    title: "Copy or move " + count + (count === 1 ? " item" : " items"), testid: "copy-dialog",
    build: ({ form }) => {
      const acctSel = h("select", null, accounts.map((a) => h("option", { value: a.name, selected: a.name === acct }, a.label + (a.name.startsWith("profile:") ? " (profile)" : ""))));
      const bucketInput = text(bucket, "bucket");
      const list = h("datalist", { id: "bucket-names" }, buckets.map((b) => h("option", { value: b.name })));
      bucketInput.setAttribute("list", "bucket-names");
      acctSel.addEventListener("change", async () => {
        clear(list);
        try {
          const d = await api("GET", "/api/buckets?" + qs({ acct: acctSel.value }));
          d.buckets.forEach((b) => add(list, h("option", { value: b.name })));
        } catch { /* typed by hand then */ }
      });
      return [
        h("div", { class: "segmented", role: "group", testid: "copy-mode" },
          h("button", { type: "button", "aria-pressed": "true", testid: "mode-copy", "data-mode": "copy", onclick: (e) => setMode(form, e.target) }, "Copy"),
          h("button", { type: "button", "aria-pressed": "false", testid: "mode-move", "data-mode": "move", onclick: (e) => setMode(form, e.target) }, "Move")),
        field("dst-acct", "Account", acctSel), list,
        field("dst-bucket", "Bucket", bucketInput),
        field("dst-prefix", "Folder", text(prefix, "folder/ (empty: the bucket's top)"), "Items keep their names inside this folder."),
      ];
    },
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: "Start", submit: true, primary: true, testid: "dialog-confirm" }],
    onSubmit: async ({ form }) => {
      let p = form.elements["dst-prefix"].value.trim().replace(/^\/+/, "");
      if (p && !p.endsWith("/")) p += "/";
      const b = form.elements["dst-bucket"].value.trim();
      if (!b) throw { message: "Choose a bucket", field: "dst-bucket" };
      return { acct: form.elements["dst-acct"].value, bucket: b, prefix: p, move: form.dataset.mode === "move" };
    },
  });
}

function setMode(form, btn) {
  form.dataset.mode = btn.dataset.mode;
  for (const b of btn.parentNode.children) b.setAttribute("aria-pressed", String(b === btn));
}

// ---------- metadata ----------

export function metadataDialog({ acct, bucket, key, info }) {
  return show({
    title: "Edit metadata of " + key.split("/").pop(), testid: "metadata-dialog",
    build: () => {
      const rows = h("div", { testid: "metadata-rows" });
      const addRow = (k = "", v = "") => {
        const r = h("div", { class: "meta-row", testid: "metadata-row" }, h("input", { value: k, placeholder: "name", testid: "meta-key", "aria-label": "Metadata name" }),
          h("input", { value: v, placeholder: "value", testid: "meta-value", "aria-label": "Metadata value" }),
          h("button", { type: "button", class: "icon-btn", title: "Remove", testid: "meta-remove", onclick: () => r.remove() }, "×"));
        add(rows, r);
      };
      for (const [k, v] of Object.entries(info.metadata || {})) addRow(k, v);
      return [
        h("p", { class: "muted" }, "Saved with a copy of the object onto itself (its bytes stay on the server)."),
        field("content-type", "Content type", text(info.content_type, "application/octet-stream")),
        field("cache-control", "Cache control", text(info.cache_control, "max-age=3600")),
        h("div", { class: "field", "data-field": "metadata" }, h("label", null, "User metadata"), rows),
        h("button", { type: "button", class: "btn small", testid: "meta-add", onclick: () => addRow() }, "+ Add metadata"),
      ];
    },
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: "Save", submit: true, primary: true, testid: "dialog-save" }],
    onSubmit: async ({ form }) => {
      const metadata = {};
      for (const r of form.querySelectorAll("[data-testid=metadata-row]")) {
        const k = r.querySelector("[data-testid=meta-key]").value.trim().toLowerCase();
        if (k) metadata[k] = r.querySelector("[data-testid=meta-value]").value;
      }
      await api("POST", "/api/metadata", { acct, bucket, key, content_type: form.elements["content-type"].value.trim(), cache_control: form.elements["cache-control"].value.trim(), metadata });
      return true;
    },
  });
}

// ---------- tags ----------

export function tagsDialog({ acct, bucket, key, tags }) {
  return show({
    title: "Edit tags of " + key.split("/").pop(), testid: "tags-dialog",
    build: () => {
      const rows = h("div", { testid: "tag-rows" });
      const addRow = (k = "", v = "") => {
        const r = h("div", { class: "meta-row", testid: "tag-row" }, h("input", { value: k, placeholder: "key", testid: "tag-key", "aria-label": "Tag key" }),
          h("input", { value: v, placeholder: "value", testid: "tag-value", "aria-label": "Tag value" }),
          h("button", { type: "button", class: "icon-btn", title: "Remove", testid: "tag-remove", onclick: () => r.remove() }, "×"));
        add(rows, r);
      };
      for (const t of tags) addRow(t.Key, t.Value);
      if (!tags.length) addRow();
      return [h("p", { class: "muted" }, "Up to 10 tags. Saving replaces all of the object's tags."),
        h("div", { class: "field", "data-field": "tags" }, h("label", null, "Tags"), rows),
        h("button", { type: "button", class: "btn small", testid: "tag-add", onclick: () => addRow() }, "+ Add tag")];
    },
    buttons: [{ label: "Cancel", value: null, testid: "dialog-cancel" }, { label: "Save", submit: true, primary: true, testid: "dialog-save" }],
    onSubmit: async ({ form }) => {
      const out = [];
      for (const r of form.querySelectorAll("[data-testid=tag-row]")) {
        const k = r.querySelector("[data-testid=tag-key]").value.trim();
        if (k) out.push({ Key: k, Value: r.querySelector("[data-testid=tag-value]").value });
      }
      await api("PUT", "/api/tags", { acct, bucket, key, tags: out });
      return true;
    },
  });
}
