// Bucket and object management (issue 15): the bucket Properties dialog
// (versioning, policy, CORS, lifecycle, tags, encryption), the Permissions
// dialog (ACL grants grid and canned ACLs, for buckets and objects). The
// server does the work through the core; documents are the AWS API's JSON, checked there (line and field).
import { h, clear, api, qs } from "./util.js";
import { show } from "./dialogs.js";

// ---------- shared bits ----------

function errorBox(testid) {
  const box = h("div", { class: "form-error", testid, hidden: true });
  box.set = (e) => {
    clear(box);
    if (!e) { box.hidden = true; return; }
    box.hidden = false;
    box.append(h("div", null, e.message), e.hint ? h("div", { class: "hint" }, e.hint) : null);
  };
  return box;
}

function okNote(testid) {
  const n = h("div", { class: "ok-note", testid, hidden: true });
  n.set = (msg) => { n.textContent = msg || ""; n.hidden = !msg; };
  return n;
}

// diffView renders a line diff ("+ ", "- ", "  " prefixes) as text lines.
function diffView(diff, changed) {
  const pre = h("pre", { class: "diff", testid: "setting-diff" });
  if (!changed) { pre.append(h("span", null, "No change.")); return pre; }
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const cls = line.startsWith("+ ") ? "add" : line.startsWith("- ") ? "del" : "same";
    pre.append(h("span", { class: cls }, line + "\n"));
  }
  return pre;
}

const TABS = [
  ["overview", "Overview"], ["versioning", "Versioning"], ["policy", "Policy"], ["cors", "CORS"],
  ["lifecycle", "Lifecycle"], ["tags", "Tags"], ["encryption", "Encryption"],
];

// ---------- bucket properties ----------

export function bucketPropertiesDialog({ acct, bucket }) {
  return show({
    title: "Properties of " + bucket, testid: "bucket-properties-dialog",
    build: () => {
      const tabs = h("div", { class: "mtabs", role: "tablist", testid: "bucket-tabs" });
      const panes = h("div", { class: "tab-panes" });
      const loading = h("div", { class: "muted", testid: "bucket-props-loading" }, "Loading settings…");
      const top = errorBox("bucket-props-error");
      let data = null;
      const panels = {};
      const select = (id) => {
        for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === id));
        for (const [k, p] of Object.entries(panels)) p.hidden = k !== id;
      };
      for (const [id, label] of TABS) {
        tabs.append(h("button", { type: "button", role: "tab", testid: "btab-" + id, "data-tab": id, "aria-selected": String(id === "overview"), onclick: () => select(id) }, label));
        panels[id] = h("div", { role: "tabpanel", class: "tab-pane", testid: "bpane-" + id, hidden: id !== "overview" });
        panes.append(panels[id]);
      }
      const load = async (keep) => {
        try {
          data = await api("GET", "/api/bucket/settings?" + qs({ acct, bucket }));
        } catch (e) {
          top.set(e);
          loading.remove();
          return;
        }
        loading.remove();
        const ctx = { acct, bucket, data, reload: () => load(true) };
        renderOverview(panels.overview, ctx);
        renderVersioning(panels.versioning, ctx);
        renderDocTab(panels.policy, ctx, "policy", "Bucket policy (JSON)", POLICY_TEMPLATE(bucket));
        renderDocTab(panels.cors, ctx, "cors", "CORS rules (JSON)", CORS_TEMPLATE);
        renderLifecycle(panels.lifecycle, ctx);
        renderTags(panels.tags, ctx);
        renderEncryption(panels.encryption, ctx);
        if (keep) select(keep === true ? currentTab() : keep);
      };
      const currentTab = () => { const b = tabs.querySelector('[aria-selected="true"]'); return b ? b.dataset.tab : "overview"; };
      load(false);
      return [top, loading, tabs, panes];
    },
    buttons: [{ label: "Close", value: true, testid: "dialog-close" }],
  });
}

function settingError(ctx, name) {
  const e = ctx.data.errors && ctx.data.errors[name];
  return e ? h("div", { class: "form-error", testid: "setting-unreadable" }, "Cannot read this setting: " + e.message, e.hint ? h("div", { class: "hint" }, e.hint) : null) : null;
}

function renderOverview(el, { data }) {
  const i = data.info;
  const unread = i.unavailable || {};
  // A setting that could not be read shows why in its own row, not a
  // default ("none", "0", "off") that would contradict it.
  const setting = (label, key, v) => [label, key in unread ? "not readable: " + unread[key] : v];
  const rows = [
    ["Region", i.region || "unknown"],
    ["Versioning", i.versioning || "never enabled"],
    setting("Default encryption", "encryption", (i.encryption || "none") + (i.kms_key_id ? " (" + i.kms_key_id + ")" : "")),
    setting("Policy", "policy", i.policy ? "set" + (i.policy_public === true ? " (public)" : "") : "none"),
    setting("Lifecycle rules", "lifecycle", String(i.lifecycle_rules)),
    setting("CORS rules", "cors", String(i.cors_rules)),
    setting("Tags", "tags", (i.tags || []).map((t) => t.Key + "=" + t.Value).join(", ") || "none"),
    setting("Object lock", "object lock", i.object_lock ? "on" + (i.object_lock_mode ? ", " + i.object_lock_mode + " " + (i.object_lock_years ? i.object_lock_years + " years" : i.object_lock_days + " days") : "") : "off"),
    setting("Public access block", "public access block", i.public_access_block ? Object.entries(i.public_access_block).filter(([, v]) => v).map(([k]) => k).join(", ") || "all off" : "none"),
  ];
  const known = ["encryption", "policy", "lifecycle", "cors", "tags", "object lock", "public access block"];
  for (const [k, v] of Object.entries(unread)) if (!known.includes(k)) rows.push(["Not readable: " + k, v]);
  clear(el).append(h("dl", { class: "kv", testid: "bucket-overview" }, rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])));
}

// apply sends a change; with dryRun it shows the diff instead.
async function apply(ctx, setting, action, doc, dryRun, out) {
  out.err.set(null);
  out.ok.set("");
  clear(out.diff);
  try {
    const r = await api("POST", "/api/bucket/setting", { acct: ctx.acct, bucket: ctx.bucket, setting, action, doc, dry_run: dryRun });
    if (dryRun) { out.diff.append(diffView(r.diff || "", r.changed)); return r; }
    // The tab is drawn anew from the server's answer; say so there.
    flash[setting] = action === "delete" ? "Removed." : "Saved.";
    await ctx.reload();
    return r;
  } catch (e) {
    out.err.set(e);
    return null;
  }
}

// flash holds a tab's message across its redraw after a change.
const flash = {};

function outputs(prefix) {
  const ok = okNote(prefix + "-saved");
  if (flash[prefix]) { ok.set(flash[prefix]); delete flash[prefix]; }
  return { err: errorBox(prefix + "-error"), ok, diff: h("div", { testid: prefix + "-diff" }) };
}

function renderVersioning(el, ctx) {
  const cur = ctx.data.settings.versioning;
  const status = cur ? JSON.parse(cur).Status : "";
  const out = outputs("versioning");
  const box = h("input", { type: "checkbox", id: "f-versioning", testid: "versioning-switch", checked: status === "Enabled" });
  clear(el).append(settingError(ctx, "versioning"),
    h("p", { class: "muted" }, "Keep every version of every object: overwritten and deleted objects can be restored. Versioning cannot be removed once on, only suspended."),
    h("div", { class: "check field" }, box, h("label", { for: "f-versioning" }, "Keep versions of objects")),
    h("div", { class: "muted", testid: "versioning-status" }, "Now: " + (status || "never enabled")),
    h("div", { class: "buttons" }, h("button", { type: "button", class: "btn primary", testid: "versioning-apply",
      onclick: () => apply(ctx, "versioning", "set", JSON.stringify({ Status: box.checked ? "Enabled" : "Suspended" }), false, out) }, "Apply")),
    out.err, out.ok);
}

const POLICY_TEMPLATE = (bucket) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::" + bucket + "/*" }] }, null, 2);
const CORS_TEMPLATE = JSON.stringify({ CORSRules: [{ AllowedOrigins: ["https://example.com"], AllowedMethods: ["GET", "PUT"], AllowedHeaders: ["*"], ExposeHeaders: ["ETag"], MaxAgeSeconds: 3000 }] }, null, 2);

// renderDocTab is a JSON editor with Check (validation and a diff against
// the current document), Apply and Delete.
function renderDocTab(el, ctx, setting, label, template) {
  const cur = ctx.data.settings[setting];
  const out = outputs(setting);
  const ta = h("textarea", { class: "code", rows: 14, spellcheck: false, testid: setting + "-doc", value: cur || "", placeholder: template, "aria-label": label });
  clear(el).append(settingError(ctx, setting),
    h("div", { class: "field", "data-field": "doc" }, h("label", null, label), ta,
      h("div", { class: "help" }, "The AWS API's JSON: what aws s3api get-bucket-" + (setting === "cors" ? "cors" : "policy") + " prints works here. " + (cur ? "" : "Not set."))),
    h("div", { class: "buttons" },
      cur ? null : h("button", { type: "button", class: "btn", testid: setting + "-template", onclick: () => { ta.value = template; } }, "Start from an example"),
      h("button", { type: "button", class: "btn", testid: setting + "-check", onclick: () => apply(ctx, setting, "set", ta.value, true, out) }, "Check and show changes"),
      h("button", { type: "button", class: "btn primary", testid: setting + "-apply", onclick: () => apply(ctx, setting, "set", ta.value, false, out) }, "Apply"),
      cur ? h("button", { type: "button", class: "btn danger", testid: setting + "-delete", onclick: (ev) => confirmClick(ev, () => apply(ctx, setting, "delete", "", false, out)) }, "Delete") : null),
    out.err, out.ok, out.diff);
}

// confirmClick asks for a second click before running fn.
function confirmClick(ev, fn) {
  const b = ev.currentTarget;
  if (b.dataset.armed === "1") { b.dataset.armed = ""; b.textContent = b.dataset.label; fn(); return; }
  b.dataset.label = b.textContent;
  b.dataset.armed = "1";
  b.textContent = "Click again to confirm";
  setTimeout(() => { if (b.dataset.armed === "1") { b.dataset.armed = ""; b.textContent = b.dataset.label; } }, 5000);
}

// ---------- lifecycle: a form for the common rules, the JSON behind it ----------

const CLASSES = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"];
const SIMPLE = new Set(["ID", "Status", "Filter", "Prefix", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload", "Transitions"]);

// simpleRule turns a rule the form can show into its fields, or null.
function simpleRule(r) {
  if (Object.keys(r).some((k) => !SIMPLE.has(k))) return null;
  const f = r.Filter || {};
  if (Object.keys(f).some((k) => k !== "Prefix")) return null;
  if (r.Expiration && Object.keys(r.Expiration).some((k) => k !== "Days")) return null;
  if (r.NoncurrentVersionExpiration && Object.keys(r.NoncurrentVersionExpiration).some((k) => k !== "NoncurrentDays")) return null;
  if (r.Transitions && (r.Transitions.length !== 1 || Object.keys(r.Transitions[0]).some((k) => k !== "Days" && k !== "StorageClass"))) return null;
  return {
    id: r.ID || "", enabled: r.Status !== "Disabled", prefix: f.Prefix !== undefined ? f.Prefix : (r.Prefix || ""),
    expire: r.Expiration ? r.Expiration.Days : "", noncurrent: r.NoncurrentVersionExpiration ? r.NoncurrentVersionExpiration.NoncurrentDays : "",
    abort: r.AbortIncompleteMultipartUpload ? r.AbortIncompleteMultipartUpload.DaysAfterInitiation : "",
    tdays: r.Transitions ? r.Transitions[0].Days : "", tclass: r.Transitions ? r.Transitions[0].StorageClass : "GLACIER",
  };
}

function ruleOf(f) {
  const r = { ID: f.id || undefined, Status: f.enabled ? "Enabled" : "Disabled", Filter: { Prefix: f.prefix } };
  const n = (v) => (v === "" || v === undefined ? null : Number(v));
  if (n(f.expire) !== null) r.Expiration = { Days: n(f.expire) };
  if (n(f.noncurrent) !== null) r.NoncurrentVersionExpiration = { NoncurrentDays: n(f.noncurrent) };
  if (n(f.abort) !== null) r.AbortIncompleteMultipartUpload = { DaysAfterInitiation: n(f.abort) };
  if (n(f.tdays) !== null) r.Transitions = [{ Days: n(f.tdays), StorageClass: f.tclass }];
  return r;
}

function renderLifecycle(el, ctx) {
  const cur = ctx.data.settings.lifecycle;
  const out = outputs("lifecycle");
  let doc = cur ? JSON.parse(cur) : { Rules: [] };
  const rows = h("div", { class: "lc-rows", testid: "lifecycle-rules" });
  const ta = h("textarea", { class: "code", rows: 10, spellcheck: false, testid: "lifecycle-doc", value: cur || "", "aria-label": "Lifecycle rules (JSON)" });
  let extra = [];
  const num = (v, testid, label) => h("input", { type: "number", min: "1", value: v === "" ? "" : String(v), testid, class: "num", "aria-label": label, placeholder: "—" });
  const toJSON = () => {
    const rules = [...rows.querySelectorAll("[data-testid=lc-rule]")].map((r) => ruleOf({
      id: r.querySelector("[data-testid=lc-id]").value.trim(), enabled: r.querySelector("[data-testid=lc-enabled]").checked,
      prefix: r.querySelector("[data-testid=lc-prefix]").value, expire: r.querySelector("[data-testid=lc-expire]").value,
      noncurrent: r.querySelector("[data-testid=lc-noncurrent]").value, abort: r.querySelector("[data-testid=lc-abort]").value,
      tdays: r.querySelector("[data-testid=lc-tdays]").value, tclass: r.querySelector("[data-testid=lc-tclass]").value,
    }));
    ta.value = JSON.stringify({ Rules: rules.concat(extra) }, null, 2);
  };
  const addRow = (f) => {
    f = f || { id: "", enabled: true, prefix: "", expire: "", noncurrent: "", abort: "", tdays: "", tclass: "GLACIER" };
    const row = h("div", { class: "lc-rule", testid: "lc-rule", oninput: toJSON, onchange: toJSON },
      h("label", null, "ID ", h("input", { value: f.id, testid: "lc-id", placeholder: "rule name", class: "short" })),
      h("label", null, h("input", { type: "checkbox", checked: f.enabled, testid: "lc-enabled" }), " enabled"),
      h("label", null, "Prefix ", h("input", { value: f.prefix, testid: "lc-prefix", placeholder: "(all objects)", class: "short" })),
      h("label", null, "Expire after ", num(f.expire, "lc-expire", "Expire after days"), " days"),
      h("label", null, "Old versions after ", num(f.noncurrent, "lc-noncurrent", "Noncurrent versions after days"), " days"),
      h("label", null, "Abort uploads after ", num(f.abort, "lc-abort", "Abort incomplete multipart uploads after days"), " days"),
      h("label", null, "Move to ", h("select", { testid: "lc-tclass" }, CLASSES.map((c) => h("option", { value: c, selected: c === f.tclass }, c))), " after ", num(f.tdays, "lc-tdays", "Transition after days"), " days"),
      h("button", { type: "button", class: "icon-btn", title: "Remove rule", testid: "lc-remove", onclick: () => { row.remove(); toJSON(); } }, "×"));
    rows.append(row);
  };
  const fromDoc = (d) => {
    clear(rows);
    extra = [];
    for (const r of d.Rules || []) {
      const f = simpleRule(r);
      if (f) addRow(f); else extra.push(r);
    }
    note.textContent = extra.length ? extra.length + " rule(s) use settings the form does not show; they are kept and can be edited in the JSON." : "";
  };
  const note = h("div", { class: "muted", testid: "lifecycle-extra" });
  ta.addEventListener("input", () => { try { fromDoc(JSON.parse(ta.value)); } catch { /* editing: the JSON is checked on Apply */ } });
  fromDoc(doc);
  clear(el).append(settingError(ctx, "lifecycle"),
    h("p", { class: "muted" }, "Common rules; each applies to the objects under its prefix. Empty fields are not used."),
    rows, note,
    h("div", { class: "buttons" }, h("button", { type: "button", class: "btn", testid: "lc-add", onclick: () => { addRow(); toJSON(); } }, "+ Add rule")),
    h("details", { testid: "lifecycle-json" }, h("summary", null, "JSON"), h("div", { class: "field", "data-field": "doc" }, ta)),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "btn", testid: "lifecycle-check", onclick: () => apply(ctx, "lifecycle", "set", ta.value, true, out) }, "Check and show changes"),
      h("button", { type: "button", class: "btn primary", testid: "lifecycle-apply", onclick: () => apply(ctx, "lifecycle", "set", ta.value, false, out) }, "Apply"),
      cur ? h("button", { type: "button", class: "btn danger", testid: "lifecycle-delete", onclick: (ev) => confirmClick(ev, () => apply(ctx, "lifecycle", "delete", "", false, out)) }, "Delete all rules") : null),
    out.err, out.ok, out.diff);
}

// ---------- tags ----------

function kvRows(pairs, testid) {
  const rows = h("div", { testid });
  const add = (k = "", v = "") => {
    const r = h("div", { class: "meta-row", testid: "tag-row" }, h("input", { value: k, placeholder: "key", testid: "tag-key", "aria-label": "Tag key" }),
      h("input", { value: v, placeholder: "value", testid: "tag-value", "aria-label": "Tag value" }),
      h("button", { type: "button", class: "icon-btn", title: "Remove", testid: "tag-remove", onclick: () => r.remove() }, "×"));
    rows.append(r);
  };
  for (const p of pairs) add(p.Key, p.Value);
  rows.add = add;
  rows.pairs = () => [...rows.querySelectorAll("[data-testid=tag-row]")].map((r) => ({ Key: r.querySelector("[data-testid=tag-key]").value.trim(), Value: r.querySelector("[data-testid=tag-value]").value }))
    .filter((t) => t.Key !== "");
  return rows;
}

function renderTags(el, ctx) {
  const cur = ctx.data.settings.tags;
  const out = outputs("tags");
  const rows = kvRows(cur ? JSON.parse(cur).TagSet : [], "tag-rows");
  clear(el).append(settingError(ctx, "tags"), rows,
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "btn small", testid: "tag-add", onclick: () => rows.add() }, "+ Add tag"),
      h("button", { type: "button", class: "btn primary", testid: "tags-apply", onclick: () => {
        const tags = rows.pairs();
        if (!tags.length) return apply(ctx, "tags", "delete", "", false, out);
        return apply(ctx, "tags", "set", JSON.stringify({ TagSet: tags }), false, out);
      } }, "Apply")),
    out.err, out.ok);
}

// ---------- encryption ----------

function renderEncryption(el, ctx) {
  const cur = ctx.data.settings.encryption;
  const out = outputs("encryption");
  const rule = cur ? (JSON.parse(cur).Rules || [])[0] || {} : {};
  const def = rule.ApplyServerSideEncryptionByDefault || {};
  const sel = h("select", { testid: "encryption-algorithm", "aria-label": "Default encryption" },
    [["", "None"], ["AES256", "SSE-S3 (AES256)"], ["aws:kms", "SSE-KMS (aws:kms)"]].map(([v, l]) => h("option", { value: v, selected: (def.SSEAlgorithm || "") === v }, l)));
  const key = h("input", { value: def.KMSMasterKeyID || "", testid: "encryption-key", placeholder: "KMS key ID or ARN (empty: the AWS managed key)" });
  const bk = h("input", { type: "checkbox", id: "f-bucket-key", testid: "encryption-bucket-key", checked: !!rule.BucketKeyEnabled });
  const keyField = h("div", { class: "field" }, h("label", null, "KMS key"), key);
  const sync = () => { keyField.hidden = sel.value !== "aws:kms"; };
  sel.addEventListener("change", sync);
  sync();
  clear(el).append(settingError(ctx, "encryption"),
    h("p", { class: "muted" }, "How new objects are encrypted when an upload asks for nothing else."),
    h("div", { class: "field" }, h("label", null, "Default encryption"), sel), keyField,
    h("div", { class: "check field" }, bk, h("label", { for: "f-bucket-key" }, "Use an S3 Bucket Key (fewer KMS requests)")),
    h("div", { class: "buttons" }, h("button", { type: "button", class: "btn primary", testid: "encryption-apply", onclick: () => {
      if (!sel.value) return apply(ctx, "encryption", "delete", "", false, out);
      const d = { SSEAlgorithm: sel.value };
      if (sel.value === "aws:kms" && key.value.trim()) d.KMSMasterKeyID = key.value.trim();
      const r = { ApplyServerSideEncryptionByDefault: d };
      if (bk.checked) r.BucketKeyEnabled = true;
      return apply(ctx, "encryption", "set", JSON.stringify({ Rules: [r] }), false, out);
    } }, "Apply")),
    out.err, out.ok);
}

// ---------- permissions (ACL grid) ----------

const GROUPS = {
  "http://acs.amazonaws.com/groups/global/AllUsers": "Everyone",
  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "Authenticated users",
  "http://acs.amazonaws.com/groups/s3/LogDelivery": "Log delivery",
};

// permissionsDialog is S3 Browser's ACL grid: a row per grantee (owner,
// everyone, authenticated users, and any other account), a column per
// permission, plus the canned ACL presets.
export function permissionsDialog({ acct, bucket, key }) {
  const isBucket = !key;
  const perms = isBucket ? ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"] : ["READ", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"];
  const label = { READ: "Read", WRITE: "Write", READ_ACP: "Read permissions", WRITE_ACP: "Write permissions", FULL_CONTROL: "Full control" };
  return show({
    title: "Permissions of " + (isBucket ? bucket : key.split("/").pop()), testid: "permissions-dialog",
    build: () => {
      const err = errorBox("acl-error");
      const ok = okNote("acl-saved");
      const table = h("table", { class: "acl-grid", testid: "acl-grid" });
      const cannedSel = h("select", { testid: "acl-canned", "aria-label": "Canned ACL" });
      const newGrantee = h("input", { testid: "acl-new-grantee", placeholder: "canonical user ID or e-mail address" });
      let owner = null;
      const grantees = []; // {type, id, uri, email, label}
      const checks = new Map(); // grantee index -> {perm: checkbox}
      const render = (acl) => {
        owner = acl.Owner || null;
        grantees.length = 0;
        const byKey = new Map();
        const keyOf = (g) => g.Type + ":" + (g.ID || g.URI || g.EmailAddress);
        const add = (g) => {
          const k = keyOf(g);
          if (!byKey.has(k)) {
            byKey.set(k, { grantee: g, perms: new Set() });
            grantees.push(byKey.get(k));
          }
          return byKey.get(k);
        };
        if (owner) add({ Type: "CanonicalUser", ID: owner.ID, DisplayName: owner.DisplayName });
        add({ Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" });
        add({ Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" });
        for (const g of acl.Grants || []) add(g.Grantee).perms.add(g.Permission);
        drawTable();
      };
      const nameOf = (g) => {
        if (g.Type === "Group") return GROUPS[g.URI] || g.URI;
        if (g.Type === "AmazonCustomerByEmail") return g.EmailAddress;
        const own = owner && g.ID === owner.ID ? " (owner)" : "";
        return (g.DisplayName || g.ID) + own;
      };
      const drawTable = () => {
        clear(table);
        checks.clear();
        table.append(h("thead", null, h("tr", null, h("th", null, "Grantee"), perms.map((p) => h("th", null, label[p])))));
        const body = h("tbody");
        grantees.forEach((e, i) => {
          const row = h("tr", { testid: "acl-row", "data-grantee": nameOf(e.grantee) }, h("td", { title: e.grantee.ID || e.grantee.URI || e.grantee.EmailAddress || "" }, nameOf(e.grantee)));
          const m = {};
          for (const p of perms) {
            const cb = h("input", { type: "checkbox", checked: e.perms.has(p), testid: "acl-" + p, "aria-label": label[p] + " for " + nameOf(e.grantee),
              onchange: () => { if (cb.checked) e.perms.add(p); else e.perms.delete(p); } });
            m[p] = cb;
            row.append(h("td", { class: "c" }, cb));
          }
          checks.set(i, m);
          body.append(row);
        });
        table.append(body);
      };
      const load = async () => {
        try {
          const r = await api("GET", "/api/acl?" + qs({ acct, bucket, key: key || "" }));
          clear(cannedSel).append(h("option", { value: "" }, "Choose a preset…"), ...r.canned.filter((c) => isBucket ? ["private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write"].includes(c) : c !== "log-delivery-write").map((c) => h("option", { value: c }, c)));
          render(r.acl);
        } catch (e) { err.set(e); }
      };
      const save = async (body) => {
        err.set(null); ok.set("");
        try {
          const r = await api("POST", "/api/acl", Object.assign({ acct, bucket, key: key || "" }, body));
          render(r.acl);
          ok.set("Saved.");
        } catch (e) { err.set(e); }
      };
      load();
      return [
        h("p", { class: "muted" }, "Many S3-compatible servers (MinIO among them) keep only the owner's full control and refuse other grants."),
        table,
        h("div", { class: "buttons" }, newGrantee, h("button", { type: "button", class: "btn small", testid: "acl-add-grantee", onclick: () => {
          const v = newGrantee.value.trim();
          if (!v) return;
          const g = v.includes("@") ? { Type: "AmazonCustomerByEmail", EmailAddress: v } : { Type: "CanonicalUser", ID: v };
          grantees.push({ grantee: g, perms: new Set() });
          newGrantee.value = "";
          drawTable();
        } }, "+ Add grantee")),
        h("div", { class: "buttons" },
          h("button", { type: "button", class: "btn primary", testid: "acl-save", onclick: () => {
            const grants = [];
            for (const e of grantees) for (const p of perms) if (e.perms.has(p)) grants.push({ Grantee: e.grantee, Permission: p });
            return save({ acl: { Owner: owner || undefined, Grants: grants } });
          } }, "Save grants"),
          cannedSel,
          h("button", { type: "button", class: "btn", testid: "acl-apply-canned", onclick: () => cannedSel.value && save({ canned: cannedSel.value }) }, "Apply preset")),
        err, ok,
      ];
    },
    buttons: [{ label: "Close", value: true, testid: "dialog-close" }],
  });
}
