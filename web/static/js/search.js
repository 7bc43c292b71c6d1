// The search view: query, filters, results with highlights, the timeline
// and top charts and the export buttons, all for the query in the URL.

import { getJSON, describe } from "./api.js";
import { h, $, clear, num, marked, safeHref, dateTime, language, langAttr, panelMsg } from "./dom.js";
import { FILTERS, query, sameSearch } from "./state.js";
import { drawTimeline, drawTop, clearChart } from "./charts.js";
import { setupExport, exportScope } from "./export.js";

const PAGE = 20;
// The fields a result line shows: a page of hits then carries no bodies.
const FIELDS = "id,url,canonical_url,outlet,title,lead,language,section,authors,published_at,version";
const FACET_SIZE = 50;

export function createSearch(app) {
  const form = $("#search-form");
  const q = $("#q");
  const results = $("#results");
  const more = $("#more");
  const summary = $("#summary");
  let last = null; // the state of the last search run
  let cursor = "";
  let seq = 0; // answers of older runs are dropped
  let controller = null;

  // Time zones for the datalist: the browser's own first, then all it knows.
  const zones = [Intl.DateTimeFormat().resolvedOptions().timeZone, "UTC", "Asia/Baku"];
  try {
    zones.push(...Intl.supportedValuesOf("timeZone"));
  } catch {
    // an older browser: the three above
  }
  const dl = $("#tz-list");
  for (const z of [...new Set(zones)]) dl.append(h("option", { value: z }));

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    app.navigate(Object.assign({}, app.state(), readForm(), { view: "search", id: "", cmp: "" }));
  });
  for (const id of ["sort", "from", "to"]) {
    $("#" + id).addEventListener("change", () => form.requestSubmit());
  }
  $("#tz").addEventListener("change", () => form.requestSubmit());
  $("#interval").addEventListener("change", (e) => app.navigate(Object.assign({}, app.state(), { interval: e.target.value })));
  $("#split").addEventListener("change", (e) => app.navigate(Object.assign({}, app.state(), { split: e.target.value })));
  $("#clear-filters").addEventListener("click", () => {
    const s = Object.assign({}, app.state());
    for (const f of FILTERS) s[f] = [];
    app.navigate(s);
  });
  more.addEventListener("click", () => page(app.state(), false));
  setupExport(app);

  // Phones get the filters folded.
  const narrow = window.matchMedia("(max-width: 800px)");
  $("#filters").open = !narrow.matches;

  function readForm() {
    return {
      q: q.value.trim(),
      from: $("#from").value,
      to: $("#to").value,
      tz: $("#tz").value.trim(),
      sort: $("#sort").value,
    };
  }

  function fillForm(s) {
    if (document.activeElement !== q || q.value.trim() !== s.q) q.value = s.q;
    $("#from").value = s.from;
    $("#to").value = s.to;
    $("#tz").value = s.tz;
    $("#sort").value = s.sort;
    $("#interval").value = s.interval;
    $("#split").value = s.split;
  }

  // show runs what the state asks for; only the parts that changed are
  // fetched again (the timeline alone when its interval changes).
  function show(s) {
    fillForm(s);
    const links = { "to-stories": ["GET /v1/stories", { view: "stories", story: "" }], "to-watch": ["POST /v1/watches", { view: "watches", watch: "" }] };
    for (const [id, [route, change]] of Object.entries(links)) {
      const a = $("#" + id);
      a.hidden = !app.caps.has(route);
      a.href = app.href(Object.assign({}, s, change, { id: "", cmp: "" }));
    }
    const prev = last;
    last = Object.assign({}, s);
    if (prev && sameSearch(prev, s)) {
      if (prev.interval !== s.interval || prev.split !== s.split) timeline(s, seq, controller ? controller.signal : undefined);
      return;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    const run = ++seq;
    app.clearError();
    page(s, true, run, controller.signal);
    facets(s, run, controller.signal);
    timeline(s, run, controller.signal);
  }

  async function page(s, first, run, signal) {
    run = run || seq;
    const params = Object.assign(query(s), { sort: s.sort, size: PAGE });
    if (app.caps.params("GET /v1/search").includes("fields")) params.fields = FIELDS;
    if (!first) params.cursor = cursor;
    more.disabled = true;
    if (first) summary.textContent = "Searching…";
    let res;
    try {
      res = await getJSON("/v1/search", params, { signal });
    } catch (e) {
      if (e.name === "AbortError" || run !== seq) return;
      more.disabled = false;
      if (first) {
        clear(results);
        summary.textContent = "";
        more.hidden = true;
        exportScope(null);
      }
      app.showError(e, "Search failed");
      return;
    }
    if (run !== seq) return;
    if (first) {
      clear(results);
      const what = s.q ? ["articles match ", h("q", null, s.q)] : ["articles"];
      summary.replaceChildren(h("strong", { id: "total" }, num(res.total)), " ", ...what, filtersText(s));
      exportScope(res.total, s);
    }
    for (const hit of res.hits) results.append(resultItem(hit, s));
    cursor = res.next_cursor || "";
    more.hidden = !cursor;
    more.disabled = false;
    if (first && !res.hits.length) results.append(h("li", { class: "none" }, "Nothing found. Try fewer words, or fewer filters."));
  }

  function filtersText(s) {
    const parts = [];
    if (s.outlet.length) parts.push("outlet " + s.outlet.join(" or "));
    if (s.lang.length) parts.push("language " + s.lang.join(" or "));
    if (s.section.length) parts.push("section " + s.section.join(" or "));
    if (s.from) parts.push("from " + s.from);
    if (s.to) parts.push("to " + s.to);
    if (s.tz) parts.push("in " + s.tz);
    return parts.length ? " (" + parts.join(", ") + ")" : "";
  }

  function resultItem(hit, s) {
    const a = hit.article || {};
    const hl = hit.highlights || {};
    const lang = langAttr(a.language);
    const articleURL = app.href(Object.assign({}, s, { view: "article", id: hit.id, cmp: "" }));
    const title = hl.title && hl.title.length ? marked(hl.title.join(" … ")) : a.title || "(no title)";
    const frags = [].concat(hl.lead || [], hl.body || []);
    const snippet = frags.length ? marked(frags.join(" … ")) : a.lead || "";
    const orig = safeHref(a.url);
    return h("li", { "data-id": hit.id },
      h("h4", { lang }, h("a", { href: articleURL, class: "open-article", "data-id": hit.id }, title)),
      h("div", { class: "meta" },
        h("span", { class: "outlet" }, a.outlet),
        a.published_at ? h("time", { datetime: a.published_at }, dateTime(a.published_at, s.tz)) : h("span", null, "no date"),
        a.language ? h("span", null, language(a.language)) : null,
        a.section ? h("span", { lang }, a.section) : null,
        a.version > 1 ? h("span", null, "version " + a.version) : null,
        orig ? h("a", { href: orig, rel: "noopener noreferrer", target: "_blank" }, "original ↗") : null),
      snippet ? h("p", { class: "snippet", lang }, snippet) : null);
  }

  // facets lists each filter's values with their counts for the query
  // with the other filters (so a checked outlet does not hide the other
  // outlets), and draws the top outlets and languages for all filters.
  // Requests with the same parameters are made once.
  async function facets(s, run, signal) {
    const topPanel = $("#top-panel");
    if (!app.caps.has("GET /v1/stats/top")) {
      for (const f of FILTERS) facetNote(f, "needs GET /v1/stats/top, which this server does not serve", s);
      panelMsg(topPanel, "Top outlets and languages need GET /v1/stats/top, which this server does not serve.");
      topPanel.classList.add("unavailable");
      return;
    }
    const groups = new Map(); // params JSON -> facets
    const add = (params, facet) => {
      const k = JSON.stringify(params);
      if (!groups.has(k)) groups.set(k, { params, facets: [] });
      if (!groups.get(k).facets.includes(facet)) groups.get(k).facets.push(facet);
    };
    for (const f of FILTERS) add(query(s, f), f);
    add(query(s), "outlet*"); // the top panel: every filter applied
    add(query(s), "lang*");
    await Promise.all([...groups.values()].map(async (g) => {
      const facetParam = [...new Set(g.facets.map((f) => f.replace("*", "")))];
      let res;
      try {
        res = await getJSON("/v1/stats/top", Object.assign({}, g.params, { facet: facetParam.join(","), size: FACET_SIZE }), { signal });
      } catch (e) {
        if (e.name === "AbortError" || run !== seq) return;
        for (const f of g.facets) {
          if (f.endsWith("*")) panelMsg(topPanel, describe(e, "Top outlets and languages"), true);
          else facetNote(f, describe(e, ""), s);
        }
        return;
      }
      if (run !== seq) return;
      for (const f of g.facets) {
        const name = f.replace("*", "");
        const counts = (res.top || {})[name] || { values: [], other: 0, missing: 0 };
        if (f.endsWith("*")) {
          panelMsg(topPanel, "");
          drawTop($("#top-" + name), $("#top-" + name + "-table"), name, counts);
        } else facetOptions(name, counts, s);
      }
    }));
  }

  function facetNote(facet, msg, s) {
    const box = $(`.facet[data-facet="${facet}"] .opts`);
    clear(box);
    for (const v of s[facet]) box.append(option(facet, v, null, true));
    box.append(h("p", { class: "none" }, msg));
  }

  function facetOptions(facet, counts, s) {
    const box = $(`.facet[data-facet="${facet}"] .opts`);
    clear(box);
    const seen = new Set();
    for (const v of counts.values) {
      seen.add(v.value);
      box.append(option(facet, v.value, v.count, s[facet].includes(v.value)));
    }
    // A value in the URL the counts do not list stays, to be unchecked.
    for (const v of s[facet]) if (!seen.has(v)) box.append(option(facet, v, null, true));
    if (!counts.values.length && !s[facet].length) box.append(h("p", { class: "none" }, "none"));
  }

  function option(facet, value, count, checked) {
    const label = facet === "lang" ? language(value) : value;
    const input = h("input", { type: "checkbox", name: facet, value, checked });
    input.addEventListener("change", () => {
      const st = Object.assign({}, app.state());
      const vals = st[facet].filter((x) => x !== value);
      if (input.checked) vals.push(value);
      st[facet] = vals;
      app.navigate(st);
    });
    return h("label", null, input, h("span", { class: "v" }, label),
      count === null ? null : h("span", { class: "n" }, num(count)));
  }

  async function timeline(s, run, signal) {
    const panel = $("#timeline-panel");
    const canvas = $("#timeline");
    if (!app.caps.has("GET /v1/stats/timeline")) {
      panelMsg(panel, "The timeline needs GET /v1/stats/timeline, which this server does not serve.");
      panel.classList.add("unavailable");
      return;
    }
    const params = Object.assign(query(s), { interval: s.interval });
    if (s.split !== "none") params.split = s.split;
    let tl;
    try {
      tl = await getJSON("/v1/stats/timeline", params, { signal });
    } catch (e) {
      if (e.name === "AbortError" || run !== seq) return;
      clearChart(canvas);
      clear($("#timeline-table"));
      panelMsg(panel, describe(e, "Timeline"), true);
      return;
    }
    if (run !== seq) return;
    panelMsg(panel, tl.buckets && tl.buckets.length ? sparseNote(tl) : "No dated articles to chart.");
    drawTimeline(canvas, $("#timeline-table"), tl, s.split);
    panel.dataset.total = String(tl.total);
  }

  return { show };
}

// sparseNote says when a timeline's buckets are spread over so many
// intervals that its bars draw thin (a few old articles among recent
// ones): a longer interval shows them.
function sparseNote(tl) {
  const b = tl.buckets;
  const L = window.luxon;
  const first = L.DateTime.fromISO(b[0].start, { setZone: true });
  const last = L.DateTime.fromISO(b[b.length - 1].start, { setZone: true });
  const unit = tl.interval + "s";
  const span = Math.round(last.diff(first, unit).get(unit)) + 1;
  if (span <= 120 || span <= 3 * b.length || tl.interval === "month") return "";
  const longer = { hour: "day", day: "week", week: "month" }[tl.interval];
  return "These " + b.length + " " + unit + " with articles spread over " + span + " " + unit + ", so their bars are thin: per " + longer + " shows them wider.";
}

