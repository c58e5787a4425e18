// holdfast dashboard, the stream view: click a stream to see its recent
// runs, last reconciliation, quarantine (with a retry button), drift and a
// page of its records, and to sync or reconcile it now. Uses the helpers of
// app.js (api, el, fill, when, outcomePill, excerpt, $).
"use strict";

let openStream = null;

async function apiPost(path) {
  const r = await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + token() } });
  let body = {};
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  if (r.status === 401 || r.status === 403) throw new Unauthorized(body.error || "refused");
  if (!r.ok) throw new Error(body.error || path + ": HTTP " + r.status);
  return body;
}

function say(text, cls) {
  $("stream-message").replaceChildren(el("span", { class: cls || "" }, text));
}

function showStream(name) {
  openStream = name;
  $("stream-view").hidden = false;
  say("");
  renderStreamView(lastStreams).catch((e) => say(e.message, "bad"));
  $("stream-view").scrollIntoView({ block: "start" });
}

function closeStream() {
  openStream = null;
  $("stream-view").hidden = true;
}

function reconciliationView(s) {
  if (!s.reconcile) return el("p", { class: "muted" }, "No `reconcile:` on this stream.");
  const r = s.last_reconciliation;
  if (!r) return el("p", { class: "muted" }, "Not reconciled yet.");
  const cls = { complete: "good", dry_run: "", refused: "bad", incomplete: "bad" }[r.outcome] || "";
  const kv = el("div", { class: "kv" });
  for (const k of ["upstream", "local", "fetched", "changed", "missing", "deleted", "restored", "refused"]) {
    kv.append(el("span", { class: "muted" }, k), el("span", { "data-count": k }, r[k]));
  }
  return el("div", {},
    el("p", {}, el("span", { class: "pill " + cls }, r.outcome.replace("_", " ")), " run #" + r.run + " ",
      when(r.finished_at), " ", el("span", { class: "muted" }, r.action)),
    kv,
    r.reason ? el("p", { class: cls === "bad" ? "bad" : "muted" }, r.reason) : null);
}

async function renderStreamView(streams) {
  if (!openStream) return;
  const name = openStream;
  const s = (streams || []).find((x) => x.name === name);
  if (!s) { closeStream(); return; }
  const q = encodeURIComponent(name);
  const [runs, quarantine, drift, records] = await Promise.all([
    api("/api/runs?stream=" + q + "&limit=10"), api("/api/quarantine?stream=" + q + "&limit=20"),
    api("/api/drift?stream=" + q + "&limit=10"), api("/api/streams/" + q + "/records?limit=20"),
  ]);
  if (openStream !== name) return;
  $("stream-name").textContent = name;
  $("stream-reconcile").hidden = !s.reconcile;
  $("stream-reconciliation").replaceChildren(reconciliationView(s));
  fill($("stream-runs").tBodies[0], runs.runs.map((r) => el("tr", {},
    el("td", {}, "#" + r.id), el("td", {}, outcomePill(r.outcome)), el("td", {}, when(r.finished_at)),
    el("td", { class: "num" }, r.created + r.updated + r.unchanged), el("td", { class: "num" }, r.pages),
    el("td", { class: r.error ? "bad excerpt" : "muted" }, r.error ? excerpt(r.error, 200) : "—"))),
  "No runs yet.", 6);
  $("stream-retry").hidden = quarantine.quarantine.length === 0;
  fill($("stream-quarantine").tBodies[0], quarantine.quarantine.map((x) => el("tr", {},
    el("td", {}, "#" + x.id), el("td", { class: "warn" }, x.reason), el("td", { class: "excerpt" }, excerpt(x.raw, 160)))),
  "Nothing quarantined.", 3);
  fill($("stream-drift").tBodies[0], drift.drift.map((d) => el("tr", {},
    el("td", {}, when(d.at)), el("td", {}, d.kind), el("td", {}, d.path), el("td", { class: "excerpt" }, d.before + " → " + d.after))),
  "No drift.", 4);
  const fresh = records.freshness;
  $("stream-freshness").replaceChildren(el("span", {},
    el("span", { class: "pill " + (fresh.stale ? "warn" : "good") }, fresh.stale ? "stale" : "fresh"), " last success ",
    when(fresh.last_success_at), fresh.running ? el("span", { class: "pill" }, " running") : null));
  fill($("stream-records").tBodies[0], records.records.map((r) => el("tr", {},
    el("td", {}, Object.values(r.key).join(", ")), el("td", {}, when(r.updated_at)),
    el("td", { class: "excerpt" }, excerpt(JSON.stringify(r.record), 200)))),
  "No records in the local copy.", 3);
}

async function act(label, path, done) {
  say(label + "…");
  try {
    done(await apiPost(path));
    await refresh();
  } catch (e) {
    if (e instanceof Unauthorized) { showLogin(e.message); return; }
    say(label + " failed: " + e.message, "bad");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("streams").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-open]");
    if (b) showStream(b.getAttribute("data-open"));
  });
  $("stream-close").addEventListener("click", closeStream);
  $("stream-sync").addEventListener("click", () =>
    act("Sync", "/api/streams/" + encodeURIComponent(openStream) + "/sync",
      (b) => say("Sync " + b.status + " (job " + b.job + ")", "good")));
  $("stream-reconcile").addEventListener("click", () =>
    act("Reconcile", "/api/streams/" + encodeURIComponent(openStream) + "/reconcile",
      (b) => say("Reconciliation " + b.status + " (job " + b.job + ")", "good")));
  $("stream-retry").addEventListener("click", () =>
    act("Retry", "/api/streams/" + encodeURIComponent(openStream) + "/quarantine/retry",
      (b) => say(b.moved + " moved into the table, " + b.still_invalid + " still invalid (run " + b.run + ")", b.still_invalid ? "warn" : "good")));
});
