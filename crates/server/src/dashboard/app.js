// holdfast dashboard: reads the admin API every few seconds and draws it.
// Plain DOM (textContent only, never innerHTML with data) and inline SVG.
"use strict";

const REFRESH_MS = 5000;
const KEY = "holdfast.adminToken";
const COLORS = ["#2f6fdb", "#1f8a4c", "#c77c02", "#8e44ad", "#c62828", "#00838f", "#6d4c41", "#5c6bc0"];
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

// --- the token: `#token=…` in the URL (scripted use) or asked once ---
function takeTokenFromUrl() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (m) {
    localStorage.setItem(KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}
const token = () => localStorage.getItem(KEY);

class Unauthorized extends Error {}

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + token() }, cache: "no-store" });
  if (r.status === 401 || r.status === 403) {
    let msg = "refused";
    try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new Unauthorized(msg);
  }
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

// --- DOM helpers: every string goes in as text ---
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v; else e.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
}
function fill(tbody, rows, empty, cols) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty))]));
}
function ago(iso) {
  if (!iso) return "never";
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!isFinite(s)) return String(iso);
  if (s < 60) return Math.max(s, 0) + "s ago";
  if (s < 3600) return Math.round(s / 60) + "m ago";
  if (s < 86400) return Math.round(s / 3600) + "h ago";
  return Math.round(s / 86400) + "d ago";
}
function when(iso) {
  return iso ? el("span", { title: iso }, ago(iso)) : el("span", { class: "muted" }, "never");
}
function excerpt(text, n) {
  if (!text) return "";
  const t = String(text);
  return t.length > n ? t.slice(0, n) + "…" : t;
}
function outcomePill(outcome) {
  const cls = { succeeded: "good", failed: "bad", interrupted: "warn" }[outcome] || "";
  return el("span", { class: "pill " + cls }, outcome);
}
function countBy(list, key) {
  const m = new Map();
  for (const x of list) m.set(x[key], (m.get(x[key]) || 0) + 1);
  return m;
}

// --- panels ---
function renderAlerts(alerts) {
  const firing = alerts.filter((a) => a.state === "firing");
  const resolved = alerts.filter((a) => a.state !== "firing");
  $("alerts").classList.toggle("firing", firing.length > 0);
  const items = [...firing, ...resolved].map((a) =>
    el("li", { class: "alert " + a.state, "data-rule": a.rule },
      el("span", { class: "pill " + (a.state === "firing" ? "bad" : "good") }, a.state), " ",
      el("span", { class: "rule" }, a.rule),
      el("strong", {}, a.subject), " — ", a.message, " ",
      el("span", { class: "muted", title: a.since }, "since " + ago(a.since))));
  $("alert-list").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "No alerts. All quiet.")]));
}

function renderStreams(streams, charts, quarantine, drift) {
  const perHour = new Map(charts.records.map((r) => [r.stream, r.counts]));
  const q = countBy(quarantine, "stream");
  const d = countBy(drift, "stream");
  const rows = streams.map((s) => {
    const counts = perHour.get(s.name) || [];
    const lastHour = counts.length ? counts[counts.length - 1] : 0;
    const day = counts.reduce((a, b) => a + b, 0);
    const run = s.last_run;
    const failed = run && run.outcome === "failed";
    return el("tr", { "data-stream": s.name },
      el("td", {}, el("button", { type: "button", class: "link", "data-open": s.name, title: "Open this stream" }, s.name),
        s.parent ? el("div", { class: "muted" }, "for each " + s.parent) : null),
      el("td", {}, s.connection),
      el("td", {}, run ? outcomePill(run.outcome) : el("span", { class: "muted" }, "no runs"), " ", run ? when(run.finished_at || run.started_at) : null),
      el("td", { class: s.last_success_at ? "" : "warn" }, when(s.last_success_at)),
      el("td", { class: "num", title: "this hour; " + day + " in 24 h" }, lastHour),
      el("td", { class: failed ? "bad excerpt" : "muted" }, failed ? excerpt(run.error, 160) : "—"),
      el("td", { class: "num " + (q.get(s.name) ? "warn" : "") }, q.get(s.name) || 0),
      el("td", { class: "num " + (d.get(s.name) ? "warn" : "") }, d.get(s.name) || 0));
  });
  fill($("streams").tBodies[0], rows, "No streams in the connector file.", 8);
}

function renderConnections(connections) {
  const rows = connections.map((c) => {
    const t = c.token;
    let health;
    if (!t) health = el("span", { class: "muted" }, c.auth === "oauth2" || c.auth === "session" ? "no token yet" : "static credentials");
    else if (t.needs_reauth) health = el("span", { class: "pill bad" }, "needs re-authorisation");
    else if (t.consecutive_failures > 0) health = el("span", { class: "pill warn" }, t.consecutive_failures + " failed refreshes");
    else {
      const left = t.expires_at ? (Date.parse(t.expires_at) - Date.now()) / 60000 : null;
      health = el("span", {},
        el("span", { class: "pill " + (left !== null && left < 60 ? "warn" : "good") }, "ok"), " ",
        t.expires_at ? el("span", { class: "muted", title: t.expires_at }, left > 0 ? "expires in " + Math.round(left) + " min" : "expired") : null);
    }
    return el("tr", {}, el("td", {}, el("strong", {}, c.name)), el("td", {}, c.auth), el("td", {}, health));
  });
  fill($("connections").tBodies[0], rows, "No connections.", 3);
}

function renderQueue(queue) {
  const waiting = queue.depth.filter((x) => x.state === "ready" || x.state === "running");
  const total = waiting.reduce((a, x) => a + x.count, 0);
  const byState = new Map();
  for (const x of queue.depth) byState.set(x.state, (byState.get(x.state) || 0) + x.count);
  const kv = el("div", { class: "kv" });
  for (const s of ["ready", "running", "dead"]) {
    kv.append(el("span", { class: "muted" }, s), el("span", { class: s === "dead" && byState.get(s) ? "bad" : "" }, byState.get(s) || 0));
  }
  kv.append(el("span", { class: "muted" }, "oldest waiting"),
    el("span", {}, queue.oldest_ready ? Math.round(queue.oldest_ready.age_seconds) + " s" : "—"));
  const rejected = queue.rejections.reduce((a, r) => a + r.count, 0);
  kv.append(el("span", { class: "muted" }, "refused webhooks"), el("span", { class: rejected ? "warn" : "" }, rejected));
  $("queue").replaceChildren(el("div", { class: "big" }, total, el("span", { class: "muted" }, " jobs waiting")), kv);
}

async function renderRuns(runs) {
  const failing = runs.filter((r) => r.outcome === "failed").slice(0, 5);
  const logs = new Map();
  await Promise.all(failing.map(async (r) => {
    try {
      const body = await api("/api/runs/" + encodeURIComponent(r.id) + "/requests?limit=1000");
      logs.set(r.id, body.requests.filter((q) => q.error || q.status === null || q.status >= 400));
    } catch (e) {
      if (e instanceof Unauthorized) throw e;
    }
  }));
  const rows = [];
  for (const r of runs) {
    rows.push(el("tr", { "data-run": r.id },
      el("td", {}, "#" + r.id), el("td", {}, r.stream), el("td", {}, outcomePill(r.outcome)),
      el("td", {}, when(r.finished_at)),
      el("td", { class: "num" }, r.created + r.updated + r.unchanged),
      el("td", { class: "num" }, r.pages),
      el("td", { class: r.error ? "bad excerpt" : "muted" }, r.error ? excerpt(r.error, 200) : "—")));
    for (const q of (logs.get(r.id) || []).slice(-5)) {
      rows.push(el("tr", { class: "sub" },
        el("td", {}), el("td", { colspan: 2, class: "excerpt" }, q.endpoint || q.method + " " + q.url),
        el("td", {}, el("span", { class: "pill bad" }, q.status === null ? "no answer" : q.status), " attempt " + q.attempt),
        el("td", { colspan: 2 }, q.error || "—"),
        el("td", { class: "excerpt" }, excerpt(q.message, 240))));
    }
  }
  fill($("runs").tBodies[0], rows, "No runs yet.", 7);
}

// --- charts: small inline SVG line charts, one line per series ---
function lineChart(target, hours, series, unit) {
  const W = 560, H = 190, L = 44, R = 8, T = 10, B = 24;
  const max = Math.max(1, ...series.flatMap((s) => s.values.filter((v) => v !== null)));
  const x = (i) => L + (i * (W - L - R)) / Math.max(1, hours.length - 1);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  for (const f of [0, 0.5, 1]) {
    root.append(svg("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), class: "axis" }));
    root.append(svg("text", { x: L - 4, y: y(max * f) + 3, "text-anchor": "end" }, formatNum(max * f) + unit));
  }
  hours.forEach((h, i) => {
    if (i % 6 === 0 || i === hours.length - 1) {
      const d = new Date(h);
      const anchor = i === 0 ? "start" : i === hours.length - 1 ? "end" : "middle";
      root.append(svg("text", { x: x(i), y: H - 6, "text-anchor": anchor },
        isNaN(d) ? "" : String(d.getHours()).padStart(2, "0") + ":00"));
    }
  });
  const legend = el("div", { class: "legend" });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    let d = "";
    s.values.forEach((v, i) => {
      if (v === null) return;
      d += (d && s.values[i - 1] !== null ? " L" : " M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
    });
    if (d) root.append(svg("path", { d: d.trim(), fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }));
    s.values.forEach((v, i) => {
      if (v !== null && v > 0) {
        const dot = svg("circle", { cx: x(i), cy: y(v), r: 3.5, fill: color, stroke: "#fff", "stroke-width": 1 });
        dot.append(svg("title", {}, s.name + ": " + formatNum(v) + unit + " at " + hours[i]));
        root.append(dot);
      }
    });
    const swatch = svg("svg", { width: 12, height: 12, viewBox: "0 0 12 12", class: "swatch" });
    swatch.append(svg("rect", { width: 12, height: 12, rx: 2, fill: color }));
    legend.append(el("span", {}, swatch, s.name));
  });
  const parts = series.length ? [root, legend] : [el("p", { class: "muted" }, "Nothing in the last 24 hours.")];
  target.replaceChildren(...parts);
}
function formatNum(v) {
  return v >= 100 ? Math.round(v).toString() : (Math.round(v * 10) / 10).toString();
}

function renderCharts(charts) {
  lineChart($("chart-records"), charts.hours,
    charts.records.map((r) => ({ name: r.stream, values: r.counts })), "");
  lineChart($("chart-latency"), charts.hours,
    charts.latency.map((l) => ({ name: l.connection + " " + l.endpoint, values: l.p95_ms })), " ms");
}

// --- the loop ---
let timer = null;
let lastStreams = [];
async function refresh() {
  clearTimeout(timer);
  try {
    const [streams, connections, queue, alerts, charts, runs, quarantine, drift] = await Promise.all([
      api("/api/streams"), api("/api/connections"), api("/api/queue"), api("/api/alerts"),
      api("/api/charts"), api("/api/runs?limit=20"), api("/api/quarantine?limit=1000"), api("/api/drift?limit=1000"),
    ]);
    renderAlerts(alerts.alerts);
    renderStreams(streams.streams, charts, quarantine.quarantine, drift.drift);
    lastStreams = streams.streams;
    await renderStreamView(lastStreams);
    renderConnections(connections.connections);
    renderQueue(queue);
    renderCharts(charts);
    await renderRuns(runs.runs);
    $("board").hidden = false;
    $("login").hidden = true;
    $("status").textContent = "live";
    $("status").className = "good";
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    if (e instanceof Unauthorized) {
      showLogin(e.message);
      return;
    }
    $("status").textContent = "cannot reach holdfast: " + e.message;
    $("status").className = "bad";
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

function showLogin(message) {
  clearTimeout(timer);
  $("board").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = token() ? message : "";
  $("status").textContent = "signed out";
  $("status").className = "muted";
  $("token").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  takeTokenFromUrl();
  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    localStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    refresh();
  });
  $("forget").addEventListener("click", () => {
    localStorage.removeItem(KEY);
    showLogin("");
  });
  window.addEventListener("hashchange", () => { takeTokenFromUrl(); refresh(); });
  if (token()) refresh(); else showLogin("");
});
