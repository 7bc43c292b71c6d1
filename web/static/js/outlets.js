// The outlet health board: GET /v1/outlets, one card per outlet, the
// troubled ones first, refreshed every 10 seconds while it is shown.

import { getJSON, describe } from "./api.js";
import { h, $, clear, num, percent, dateTime, ago, duration, panelMsg } from "./dom.js";

const REFRESH_MS = 10000;
const SEVERITY = { down: 0, defaced: 1, "layout-changed": 2, degraded: 3, up: 4 };
const STATUS_TEXT = { up: "up", degraded: "degraded", down: "down", "layout-changed": "layout changed", defaced: "defaced" };

export function createOutlets(app) {
  const view = $("#view-outlets");
  const board = $("#outlets-board");
  let timer = null;
  let seq = 0;

  async function load() {
    const run = ++seq;
    let res;
    try {
      res = await getJSON("/v1/outlets");
    } catch (e) {
      if (run !== seq) return;
      panelMsg(view, describe(e, "Outlet health"), true);
      return;
    }
    if (run !== seq) return;
    const list = (res.outlets || []).slice().sort((a, b) =>
      (SEVERITY[a.status] ?? 5) - (SEVERITY[b.status] ?? 5) || a.id.localeCompare(b.id));
    panelMsg(view, list.length ? "" : "No outlet has been polled yet.");
    clear(board).append(...list.map(card));
  }

  function card(o) {
    const facts = [
      ["Since", when(o.status_since)],
      ["Last success", o.last_success ? when(o.last_success) : "never"],
      ["Last new article", o.last_new_article ? when(o.last_new_article) : "none yet"],
      ["Errors", num(o.errors) + " of " + num(o.requests) + " requests (" + percent(o.error_rate) + ") in " + duration(o.window_seconds)],
      ["Articles", num(o.articles_new) + " new, " + num(o.articles_updated) + " updated"],
      typeof o.publishing_interval_seconds === "number" ? ["Publishes every", duration(o.publishing_interval_seconds) + " (median)"] : null,
      typeof o.median_latency_seconds === "number" ? ["Fetch latency", duration(o.median_latency_seconds) + " (median)"] : null,
      kinds(o.errors_by_kind) ? ["Errors by kind", kinds(o.errors_by_kind)] : null,
      kinds(o.problems) ? ["Problems", kinds(o.problems)] : null,
      o.crawler ? ["Crawler", o.crawler] : null,
    ].filter(Boolean);
    return h("article", { class: "outlet-card st-" + o.status, "data-outlet": o.id, "data-status": o.status, "aria-labelledby": "outlet-" + o.id },
      h("h3", { id: "outlet-" + o.id }, h("span", null, o.name ? o.name + " (" + o.id + ")" : o.id), h("span", { class: "status" }, STATUS_TEXT[o.status] || o.status)),
      o.reason ? h("p", { class: "reason" }, o.reason) : null,
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])));
  }

  function when(iso) {
    return h("time", { datetime: iso, title: iso }, dateTime(iso, app.state().tz) + " (" + ago(iso) + ")");
  }

  function kinds(m) {
    const e = Object.entries(m || {}).filter(([, n]) => n > 0);
    return e.length ? e.map(([k, n]) => k + " " + num(n)).join(", ") : "";
  }

  function show() {
    if (!app.caps.has("GET /v1/outlets")) {
      panelMsg(view, "Outlet health needs GET /v1/outlets, which this server does not serve.");
      clear(board);
      return;
    }
    stop();
    load();
    timer = setInterval(() => {
      if (!document.hidden) load();
    }, REFRESH_MS);
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  return { show, stop };
}
