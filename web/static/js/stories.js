// The stories view: the stories of the current query and period, biggest
// first (GET /v1/stories), one story's outlets, who was first and each
// outlet's lag (GET /v1/stories/{id}), and the coverage gaps of an outlet
// against its competitors (GET /v1/coverage/gaps).

import { getJSON, describe } from "./api.js";
import { h, $, clear, num, dateTime, language, langAttr, safeHref, panelMsg } from "./dom.js";
import { query } from "./state.js";

// SIZE is how many stories a list asks for.
const SIZE = 20;

// minutes formats a lag or lead in minutes from the API.
export function minutes(m) {
  if (typeof m !== "number") return "–";
  const r = Math.round(m * 10) / 10;
  return num(r) + " min";
}

export function createStories(app) {
  const view = $("#view-stories");
  const form = $("#stories-form");
  const listBox = $("#stories-list");
  const detail = $("#story-detail");
  const gapForm = $("#gaps-form");
  const gapsBox = $("#gaps");
  let seq = 0;
  let gapSeq = 0;
  let outletsFor = null; // the query the gap form's outlets were listed for

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    app.navigate(Object.assign({}, app.state(), {
      view: "stories", story: "",
      q: $("#stories-q").value.trim(), from: $("#stories-from").value, to: $("#stories-to").value, tz: $("#stories-tz").value.trim(),
    }));
  });
  gapForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const vs = [...gapForm.querySelectorAll('input[name="vs"]:checked')].map((i) => i.value);
    app.navigate(Object.assign({}, app.state(), { view: "stories", gapof: $("#gap-outlet").value, vs }));
  });

  function filtersText(s) {
    const parts = [];
    if (s.outlet.length) parts.push("outlet " + s.outlet.join(" or "));
    if (s.lang.length) parts.push("language " + s.lang.join(" or "));
    if (s.section.length) parts.push("section " + s.section.join(" or "));
    return parts.join(", ");
  }

  async function loadStories(s, run) {
    const sum = $("#stories-summary");
    sum.textContent = "Loading…";
    let res;
    try {
      res = await getJSON("/v1/stories", Object.assign(query(s), { size: SIZE }));
    } catch (e) {
      if (run !== seq) return;
      sum.textContent = "";
      clear(listBox);
      panelMsg(view, describe(e, "The stories could not be listed"), true);
      return;
    }
    if (run !== seq) return;
    panelMsg(view, "");
    const f = filtersText(s);
    sum.replaceChildren(h("strong", { id: "stories-total" }, num(res.total)), " articles match" + (s.q ? " " : ""), s.q ? h("q", null, s.q) : "",
      f ? " (" + f + ")" : "", "; their ", num(res.stories.length), " biggest stories, by how many of their articles match:");
    clear(listBox);
    if (!res.stories.length) listBox.append(h("li", { class: "none" }, "No story: nothing matches, or the articles carry no story yet."));
    for (const st of res.stories) listBox.append(storyItem(st, s, false));
  }

  function storyItem(st, s, full) {
    const lang = langAttr(st.language);
    const href = app.href(Object.assign({}, s, { view: "stories", story: st.id }));
    return h(full ? "div" : "li", { class: "story", "data-story": st.id },
      h(full ? "h3" : "h4", { lang, id: full ? "story-title" : null, tabindex: full ? "-1" : null }, full ? st.title || "(no title)" : h("a", { href }, st.title || "(no title)")),
      h("p", { class: "meta" },
        h("span", { class: "articles" }, num(st.articles) + " articles"),
        typeof st.matched === "number" && st.matched ? h("span", { class: "matched" }, num(st.matched) + " matching") : null,
        h("span", { class: "outlets" }, num(st.outlets.length) + (st.outlets.length === 1 ? " outlet" : " outlets")),
        st.language ? h("span", null, language(st.language)) : null,
        h("span", null, "first: ", h("strong", { class: "first" }, st.first.outlet), st.first.published_at ? " " + dateTime(st.first.published_at, s.tz) : ""),
        st.truncated ? h("span", null, "described by its earliest articles") : null),
      outletTable(st.outlets, s, lang));
  }

  function outletTable(outlets, s, lang) {
    return h("table", { class: "counts lags" },
      h("thead", null, h("tr", null, ["Outlet", "First article", "Published", "Lag", "Articles"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", null, outlets.map((o) => h("tr", { "data-outlet": o.outlet, "data-lag": String(o.lag_minutes), "data-articles": String(o.articles) },
        h("td", null, o.outlet),
        h("td", { lang }, h("a", { href: app.href(Object.assign({}, s, { view: "article", id: o.article, cmp: "" })) }, o.title || o.article)),
        h("td", null, o.published_at ? dateTime(o.published_at, s.tz) : "no date"),
        h("td", { class: "lag" }, o.lag_minutes === 0 ? "first" : "+" + minutes(o.lag_minutes)),
        h("td", null, num(o.articles))))));
  }

  async function loadStory(s, run) {
    clear(detail).append(h("p", { class: "hint" }, "Loading…"));
    detail.hidden = false;
    let res;
    try {
      res = await getJSON("/v1/stories/" + encodeURIComponent(s.story));
    } catch (e) {
      if (run !== seq) return;
      clear(detail).append(h("p", { class: "panel-msg bad", role: "alert" }, describe(e, "The story could not be loaded")));
      return;
    }
    if (run !== seq) return;
    const st = res.story;
    const lang = langAttr(st.language);
    clear(detail).append(
      h("p", null, h("a", { href: app.href(Object.assign({}, s, { story: "" })) }, "← All stories")),
      storyItem(st, s, true),
      h("h4", null, "Its articles, earliest first"),
      h("ol", { class: "members" }, (st.members || []).map((m) => {
        const orig = safeHref(m.url);
        return h("li", { "data-id": m.id },
          h("span", { class: "outlet" }, m.outlet), " ",
          h("a", { lang, href: app.href(Object.assign({}, s, { view: "article", id: m.id, cmp: "" })) }, m.title || m.id), " ",
          h("time", { datetime: m.published_at || m.fetched_at }, dateTime(m.published_at || m.fetched_at, s.tz)),
          orig ? [" ", h("a", { href: orig, rel: "noopener noreferrer", target: "_blank" }, "original ↗")] : null);
      })));
    $("#story-title").focus();
  }

  // The gap form lists the outlets the query's articles come from.
  async function gapOutlets(s) {
    const key = JSON.stringify(query(s, "outlet"));
    if (outletsFor === key) return;
    outletsFor = key;
    let top;
    try {
      top = await getJSON("/v1/stats/top", Object.assign(query(s, "outlet"), { facet: "outlet", size: 50 }));
    } catch (e) {
      outletsFor = null;
      panelMsg($("#gaps-panel"), describe(e, "The outlets could not be listed"), true);
      return;
    }
    const outlets = (((top.top || {}).outlet || {}).values || []).map((v) => v.value);
    for (const o of [s.gapof, ...s.vs]) if (o && !outlets.includes(o)) outlets.push(o);
    clear($("#gap-outlet")).append(...outlets.map((o) => h("option", { value: o, selected: o === s.gapof }, o)));
    clear($("#gap-competitors")).append(...outlets.map((o) =>
      h("label", null, h("input", { type: "checkbox", name: "vs", value: o, checked: s.vs.length ? s.vs.includes(o) : o !== (s.gapof || outlets[0]) }), " " + o)));
  }

  async function loadGaps(s) {
    const run = ++gapSeq;
    const panel = $("#gaps-panel");
    if (!s.gapof) {
      clear(gapsBox);
      panelMsg(panel, "");
      return;
    }
    const params = { outlet: s.gapof, competitors: s.vs.join(","), q: s.q, lang: s.lang, from: s.from, to: s.to, tz: s.tz };
    panelMsg(panel, "Loading…");
    let res;
    try {
      res = await getJSON("/v1/coverage/gaps", params);
    } catch (e) {
      if (run !== gapSeq) return;
      clear(gapsBox);
      panelMsg(panel, describe(e, "The coverage gaps could not be listed"), true);
      return;
    }
    if (run !== gapSeq) return;
    panelMsg(panel, "");
    clear(gapsBox).append(
      h("p", { class: "summary" }, h("strong", { id: "gaps-total" }, num(res.total)), " stories " + res.competitors.join(", ") + " covered and " + res.outlet + " did not, " +
        dateTime(res.from, s.tz) + " to " + dateTime(res.to, s.tz) + (res.total > res.gaps.length ? "; the first " + num(res.gaps.length) + " (most competitors first, then earliest):" : ":")),
      h("ol", { class: "gap-list" }, res.gaps.map((g) => {
        const lang = langAttr(g.language);
        return h("li", { "data-story": g.story, "data-lead": String(g.lead_minutes) },
          h("h4", { lang }, h("a", { href: app.href(Object.assign({}, s, { view: "stories", story: g.story })) }, g.title || "(no title)")),
          h("p", { class: "meta" }, h("span", null, "first: ", h("strong", null, g.first.outlet), g.first.published_at ? " " + dateTime(g.first.published_at, s.tz) : ""),
            h("span", { class: "lead" }, res.outlet + " missing for " + minutes(g.lead_minutes))),
          outletTable(g.covered, s, lang));
      })));
  }

  function fill(s) {
    $("#stories-q").value = s.q;
    $("#stories-from").value = s.from;
    $("#stories-to").value = s.to;
    $("#stories-tz").value = s.tz;
  }

  function show(s) {
    if (!app.caps.has("GET /v1/stories")) {
      panelMsg(view, "This view needs GET /v1/stories, which this server does not serve (see its /v1/openapi.json).");
      return;
    }
    fill(s);
    const run = ++seq;
    $("#stories-panel").hidden = !!s.story;
    if (s.story) loadStory(s, run);
    else {
      detail.hidden = true;
      clear(detail);
      loadStories(s, run);
    }
    $("#gaps-panel").hidden = !app.caps.has("GET /v1/coverage/gaps");
    if (app.caps.has("GET /v1/coverage/gaps")) {
      gapOutlets(s);
      loadGaps(s);
    }
  }

  function stop() {
    seq++;
    gapSeq++;
  }

  return { show, stop };
}
