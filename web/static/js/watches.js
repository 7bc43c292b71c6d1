// The watches view: create a watch (a saved query with filters whose
// events come live over server-sent events, and optionally to a webhook),
// list and delete watches, and follow one watch's events live, resuming
// after the last event seen when the connection comes back.
//
// The stream is read with fetch rather than EventSource: EventSource
// cannot send the API key (Authorization), which a server that is not
// open asks for. The reading follows the EventSource rules (api.js
// streamEvents) and reconnects as EventSource does, with Last-Event-ID.

import { getJSON, sendJSON, streamEvents, describe, apiKey } from "./api.js";
import { h, $, clear, num, dateTime, ago, language, langAttr, safeHref, panelMsg } from "./dom.js";
import { fold } from "./article.js";

// SHOWN is how many events the list keeps on screen (newest first); older
// ones leave it as new ones come (the count says how many came).
const SHOWN = 300;
// RETRY_MS is the wait before reconnecting until the server says its own
// (the stream's retry: field).
const RETRY_MS = 3000;

const KIND_TEXT = { article: "New article", edit: "Edited", outlet: "Outlet status", gap: "Coverage gap" };

export function createWatches(app) {
  const view = $("#view-watches");
  const list = $("#watch-list");
  const form = $("#watch-form");
  const formMsg = $("#watch-form-msg");
  const created = $("#watch-created");
  const panel = $("#watch-events");
  let formReady = false;
  let filling = false;
  let applied = null; // the search the form took from the address
  let listSeq = 0;
  let stream = null; // the followed watch: {id, ctl, lastId, ...}

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    create();
  });

  // The form's choices come from the API: outlets and languages the store
  // holds (GET /v1/stats/top), event kinds the OpenAPI document lists.
  async function fillForm(s) {
    const kinds = ((((app.caps.schema("WatchInput").properties || {}).events || {}).items || {}).enum) || [];
    const kbox = $("#watch-kinds");
    clear(kbox).append(...kinds.map((k) => h("label", null, h("input", { type: "checkbox", name: "events", value: k }), " " + (KIND_TEXT[k] || k) + " (" + k + ")")));
    const obox = $("#watch-outlets");
    const lbox = $("#watch-langs");
    const gbox = $("#watch-gap-outlet");
    const cbox = $("#watch-gap-competitors");
    let top;
    try {
      top = await getJSON("/v1/stats/top", { facet: "outlet,lang", size: 50 });
    } catch (e) {
      clear(obox).append(h("p", { class: "panel-msg bad" }, describe(e, "The outlets could not be listed")));
      return;
    }
    const values = (f) => (((top.top || {})[f] || {}).values || []).map((v) => v.value);
    const outlets = values("outlet");
    const boxes = (name, vals, label) => vals.map((v) =>
      h("label", null, h("input", { type: "checkbox", name, value: v }), " ", label ? label(v) : v));
    clear(obox).append(...boxes("outlet", outlets));
    clear(lbox).append(...boxes("lang", values("lang"), language));
    clear(gbox).append(h("option", { value: "" }, "(no gap watch)"), ...outlets.map((o) => h("option", { value: o }, o)));
    clear(cbox).append(...boxes("competitor", outlets));
    const gapMinutes = ((app.caps.schema("Gap").properties || {}).minutes || {}).default;
    if (gapMinutes !== undefined) $("#watch-gap-minutes").placeholder = String(gapMinutes);
    formReady = true;
    applied = null;
    applyState(app.state());
  }

  // applyState puts the search of the address (a "Watch this search"
  // link) into the form, when it changed since the form last took it.
  function applyState(s) {
    const key = JSON.stringify([s.q, s.outlet, s.lang, s.section]);
    if (key === applied) return;
    applied = key;
    $("#watch-q").value = s.q;
    $("#watch-section").value = s.section.join(", ");
    for (const i of form.querySelectorAll('input[name="outlet"]')) i.checked = s.outlet.includes(i.value);
    for (const i of form.querySelectorAll('input[name="lang"]')) i.checked = s.lang.includes(i.value);
  }

  function checked(name) {
    return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  }

  function readForm() {
    const w = {};
    const name = $("#watch-name").value.trim();
    const q = $("#watch-q").value.trim();
    if (name) w.name = name;
    if (q) w.q = q;
    const outlets = checked("outlet");
    const langs = checked("lang");
    const sections = $("#watch-section").value.split(",").map((x) => x.trim()).filter(Boolean);
    if (outlets.length) w.outlet = outlets;
    if (langs.length) w.lang = langs;
    if (sections.length) w.section = sections;
    const events = checked("events");
    if (events.length) w.events = events;
    const gapOutlet = $("#watch-gap-outlet").value;
    if (gapOutlet) {
      w.gap = { outlet: gapOutlet, competitors: checked("competitor") };
      const m = $("#watch-gap-minutes").value.trim();
      if (m) w.gap.minutes = Number(m);
    }
    const hook = $("#watch-webhook").value.trim();
    if (hook) w.webhook = { url: hook };
    return w;
  }

  async function create() {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    formMsg.hidden = true;
    created.hidden = true;
    let res;
    try {
      res = await sendJSON("POST", "/v1/watches", readForm());
    } catch (e) {
      const extra = e.status === 401 || e.status === 403 ? [" ", h("button", { type: "button", onclick: () => app.openKeyDialog() }, "Set an API key")] : [];
      formMsg.replaceChildren(describe(e, "The watch was not created"), ...extra);
      formMsg.hidden = false;
      return;
    } finally {
      button.disabled = false;
    }
    const w = res.watch;
    created.replaceChildren(h("p", null, "Watch ", h("code", null, w.id), " created; its events show below as they come."));
    if (w.webhook && w.webhook.secret) {
      created.append(h("p", null, "Webhook secret (shown this once; the webhook's Newswatch-Signature is made with it): ", h("code", { id: "watch-secret" }, w.webhook.secret)));
    }
    created.hidden = false;
    app.navigate(Object.assign({}, app.state(), { view: "watches", watch: w.id }));
  }

  async function loadList(s) {
    const run = ++listSeq;
    let res;
    try {
      res = await getJSON("/v1/watches");
    } catch (e) {
      if (run !== listSeq) return;
      panelMsg(view, describe(e, "The watches could not be listed"), true);
      return;
    }
    if (run !== listSeq) return;
    panelMsg(view, "");
    const ws = res.watches || [];
    $("#watch-count").textContent = ws.length ? "(" + num(ws.length) + ")" : "";
    clear(list);
    if (!ws.length) list.append(h("li", { class: "none" }, "No watch yet: create one above."));
    for (const w of ws) list.append(watchItem(w, s));
    const current = ws.find((w) => w.id === s.watch);
    if (s.watch && !current) {
      stop();
      clear(panel).append(h("p", { class: "panel-msg bad" }, "There is no watch " + s.watch + " (deleted?)."));
      panel.hidden = false;
    }
    if (current) follow(current, s);
  }

  function filtersText(w) {
    const parts = [];
    if (w.q) parts.push(["query ", h("q", null, w.q)]);
    if (w.outlet && w.outlet.length) parts.push("outlet " + w.outlet.join(" or "));
    if (w.lang && w.lang.length) parts.push("language " + w.lang.join(" or "));
    if (w.section && w.section.length) parts.push("section " + w.section.join(" or "));
    if (w.author && w.author.length) parts.push("author " + w.author.join(" or "));
    if (!parts.length) parts.push("every article");
    return parts.flatMap((p, i) => (i ? [", ", p] : [p]));
  }

  function watchItem(w, s) {
    const href = app.href(Object.assign({}, s, { view: "watches", watch: w.id }));
    const del = h("button", { type: "button", class: "quiet delete" }, "Delete");
    del.addEventListener("click", () => remove(w, del));
    return h("li", { "data-watch": w.id, class: w.id === s.watch ? "current" : null },
      h("h4", null, h("a", { href, "aria-current": w.id === s.watch ? "true" : null }, w.name || "Watch " + w.id)),
      h("p", { class: "meta" },
        h("span", null, ...filtersText(w)),
        h("span", null, "events: " + (w.events || []).join(", ")),
        w.gap ? h("span", null, "gaps of " + w.gap.outlet + " vs " + w.gap.competitors.join(", ") + " after " + num(w.gap.minutes) + " min") : null,
        w.webhook ? h("span", null, "webhook " + w.webhook.url) : null,
        h("span", null, "created " + dateTime(w.created_at, s.tz)),
        h("code", null, w.id)),
      del);
  }

  async function remove(w, button) {
    // Two steps: the first click asks, the second deletes.
    if (!button.classList.contains("confirm")) {
      button.classList.add("confirm");
      button.textContent = "Delete " + (w.name || w.id) + " and its events?";
      return;
    }
    button.disabled = true;
    try {
      await sendJSON("DELETE", "/v1/watches/" + encodeURIComponent(w.id));
    } catch (e) {
      button.disabled = false;
      panelMsg(view, describe(e, "The watch was not deleted"), true);
      return;
    }
    const s = app.state();
    if (s.watch === w.id) {
      stop();
      app.navigate(Object.assign({}, s, { watch: "" }));
    } else loadList(s);
  }

  // follow shows the watch's events: every event the server keeps, then
  // live ones; after a broken connection it reconnects and resumes after
  // the last event shown.
  function follow(w, s) {
    if (stream && stream.id === w.id) {
      if (!stream.ctl && !stream.paused) connect(stream);
      return;
    }
    stop();
    const list = h("ol", { id: "events", class: "events", "aria-live": "polite", "aria-label": "Events" });
    const status = h("p", { id: "stream-status", class: "stream-status", role: "status" });
    const pause = h("button", { type: "button", id: "stream-toggle" }, "Pause");
    const count = h("span", { id: "event-count" }, "0");
    stream = { id: w.id, tz: s.tz, ctl: null, lastId: "0", retry: RETRY_MS, seen: new Set(), n: 0, connects: 0, got: 0, paused: false, timer: null, list, status, count, pause };
    const st = stream;
    pause.addEventListener("click", () => {
      if (st.paused) {
        st.paused = false;
        pause.textContent = "Pause";
        connect(st);
      } else {
        st.paused = true;
        pause.textContent = "Resume";
        disconnect(st);
        setStatus(st, "paused", "Paused after event " + st.lastId + "; Resume continues after it.");
      }
    });
    clear(panel).append(
      h("div", { class: "panel-head" }, h("h3", { id: "events-heading" }, "Events of ", w.name || "watch " + w.id), pause),
      h("p", { class: "hint" }, "Watching ", ...filtersText(w), ". Events received: ", count, "; the newest first."),
      status, list);
    panel.hidden = false;
    connect(st);
  }

  function setStatus(st, what, text) {
    st.status.dataset.state = what;
    st.status.textContent = text;
    st.status.classList.toggle("bad", what === "failed" || what === "retrying");
  }

  function disconnect(st) {
    if (st.ctl) st.ctl.abort();
    st.ctl = null;
    clearTimeout(st.timer);
  }

  async function connect(st) {
    disconnect(st);
    const ctl = new AbortController();
    st.ctl = ctl;
    const from = st.lastId;
    st.connects++;
    st.got = 0;
    Object.assign(st.list.dataset, { connects: String(st.connects), resumedFrom: from, received: "0" });
    setStatus(st, "connecting", "Connecting…");
    try {
      await streamEvents("/v1/watches/" + encodeURIComponent(st.id) + "/events", from, ctl.signal, {
        open: () => setStatus(st, "live", st.connects > 1 ? "Live again, resumed after event " + from + "." : "Live: new events show as they come."),
        event: (e) => receive(st, e),
        retry: (ms) => { st.retry = ms; },
      });
      if (ctl.signal.aborted) return;
      retryLater(st, "The stream ended");
    } catch (e) {
      if (e.name === "AbortError" || ctl.signal.aborted) return;
      // A refusal that waiting will not mend ends the following.
      if (e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
        st.ctl = null;
        setStatus(st, "failed", describe(e, "The events could not be followed"));
        return;
      }
      // A busy server (503, 429) says when to come back in Retry-After.
      const after = Number(e.retryAfter) * 1000;
      retryLater(st, describe(e, e.status ? "The server did not take the stream" : "The connection was lost"), after > st.retry ? after : st.retry);
    }
  }

  function retryLater(st, why, wait) {
    st.ctl = null;
    wait = wait || st.retry;
    setStatus(st, "retrying", why + "; reconnecting in " + Math.max(1, Math.round(wait / 1000)) + " s, to resume after event " + st.lastId + ".");
    st.timer = setTimeout(() => {
      if (stream === st && !st.paused) connect(st);
    }, wait);
  }

  function receive(st, e) {
    if (e.id !== null) st.lastId = e.id;
    if (e.id !== null && st.seen.has(e.id)) return; // shown already
    if (e.id !== null) st.seen.add(e.id);
    let ev;
    try {
      ev = JSON.parse(e.data);
    } catch {
      ev = { kind: e.event, bad: e.data };
    }
    st.n++;
    st.got++;
    st.count.textContent = num(st.n);
    st.list.dataset.received = String(st.got);
    st.list.dataset.lastId = st.lastId;
    st.list.prepend(eventItem(ev, e, st));
    while (st.list.children.length > SHOWN) st.list.lastElementChild.remove();
  }

  function eventItem(ev, e, st) {
    const kind = ev.kind || e.event;
    const li = h("li", { class: "event ev-" + kind, "data-kind": kind, "data-event": e.id || "" },
      h("div", { class: "event-head" },
        h("span", { class: "kind" }, KIND_TEXT[kind] || kind),
        ev.at ? h("time", { datetime: ev.at, title: ev.at }, dateTime(ev.at, st.tz) + " (" + ago(ev.at) + ")") : null,
        h("span", { class: "hint" }, "event " + (e.id || "?"))));
    if (ev.bad !== undefined) {
      li.append(h("p", { class: "panel-msg bad" }, "An event that is not JSON: " + ev.bad.slice(0, 200)));
      return li;
    }
    if (kind === "article" && ev.article) li.append(articleLine(ev.article, st));
    else if (kind === "edit" && ev.article) li.append(articleLine(ev.article, st), editBox(ev.edit || {}, ev.article));
    else if (kind === "outlet" && ev.outlet) {
      const o = ev.outlet;
      li.append(h("p", { class: "outlet-change" }, h("strong", { class: "outlet" }, o.outlet), ": ",
        h("span", { class: "status-from" }, o.from || "(none)"), " → ", h("span", { class: "status-to" }, o.to),
        o.reason ? [" — ", h("span", { class: "reason" }, o.reason)] : null));
    } else if (kind === "gap" && ev.gap) li.append(gapBox(ev.gap, st));
    return li;
  }

  function articleLine(a, st) {
    const lang = langAttr(a.language);
    const s = app.state();
    const orig = safeHref(a.url);
    return h("div", { class: "event-article" },
      h("h4", { lang }, h("a", { href: app.href(Object.assign({}, s, { view: "article", id: a.id, cmp: "" })), class: "event-title", "data-id": a.id }, a.title || "(no title)")),
      h("div", { class: "meta" },
        h("span", { class: "outlet" }, a.outlet),
        a.published_at ? h("time", { datetime: a.published_at }, dateTime(a.published_at, st.tz)) : h("span", null, "no date"),
        a.language ? h("span", null, language(a.language)) : null,
        a.version > 1 ? h("span", null, "version " + a.version) : null,
        orig ? h("a", { href: orig, rel: "noopener noreferrer", target: "_blank" }, "original ↗") : null));
  }

  // editBox shows an edit as the API made it: both headlines and its word
  // diffs of title, lead and body.
  function editBox(ed, a) {
    const lang = langAttr(a.language);
    const box = h("div", { class: "diff edit" },
      h("p", { class: "hint" }, "From version " + ed.from_version + " to version " + ed.to_version + ": ", h("del", null, "removed"), " ", h("ins", null, "added"), "."));
    if (ed.before_unknown) {
      box.append(h("p", { class: "hint" }, "The earlier version could not be read, so there is no diff."));
      return box;
    }
    box.append(h("dl", { class: "facts headlines" },
      h("dt", null, "Headline before"), h("dd", { lang, class: "title-before" }, ed.title_before || "(empty)"),
      h("dt", null, "Headline after"), h("dd", { lang, class: "title-after" }, ed.title_after || "(empty)")));
    for (const [name, ops] of [["Title", ed.title_diff], ["Lead", ed.lead_diff], ["Body", ed.body_diff]]) {
      if (!ops || !ops.length) continue;
      box.append(h("h4", null, name), h("p", { lang, "data-field": name.toLowerCase() },
        ops.map((o) => (o.op === "+" ? h("ins", null, o.text) : o.op === "-" ? h("del", null, o.text) : fold(o.text)))));
    }
    return box;
  }

  function gapBox(g, st) {
    const s = app.state();
    return h("div", { class: "gap" },
      h("p", null, h("strong", { class: "outlet" }, g.outlet), " has not covered ",
        h("a", { href: app.href(Object.assign({}, s, { view: "stories", story: g.story })) }, "a story"),
        " " + num(g.minutes) + " minutes after competitors did:"),
      h("ul", null, (g.covered || []).map((c) => h("li", null, h("span", { class: "outlet" }, c.outlet), " ",
        h("a", { href: app.href(Object.assign({}, s, { view: "article", id: c.article, cmp: "" })) }, "article"), " ",
        h("time", { datetime: c.at }, dateTime(c.at, st.tz))))));
  }

  function stop() {
    if (!stream) return;
    disconnect(stream);
    stream = null;
    clear(panel);
    panel.hidden = true;
  }

  function show(s) {
    if (!app.caps.has("GET /v1/watches")) {
      panelMsg(view, "This view needs GET /v1/watches, which this server does not serve (see its /v1/openapi.json).");
      return;
    }
    $("#watch-create").hidden = !app.caps.has("POST /v1/watches");
    $("#watch-key-hint").hidden = !!apiKey();
    if (!formReady && !filling) {
      filling = true;
      fillForm(s).finally(() => { filling = false; });
    } else if (formReady) applyState(s);
    if (!s.watch) stop();
    loadList(s);
  }

  return { show, stop };
}
