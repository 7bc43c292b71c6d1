// newswatch's page: one page over the HTTP API whose state lives in the
// URL. This module reads the URL, shows the view it names and keeps the
// browser's history; the views are in their own modules.

import { capabilities, apiKey, setApiKey, describe } from "./api.js";
import { fromURL, toURL } from "./state.js";
import { $ } from "./dom.js";
import { createSearch } from "./search.js";
import { createArticle } from "./article.js";
import { createOutlets } from "./outlets.js";
import { createWatches } from "./watches.js";
import { createStories } from "./stories.js";

// The API route each view needs; a server without it (an older one, or
// one whose part has not landed) gets a view that says so.
const NEEDS = { outlets: "GET /v1/outlets", watches: "GET /v1/watches", stories: "GET /v1/stories" };

let current = fromURL(location.search);

const app = {
  caps: { has: () => true, params: () => [], schema: () => ({}) }, // until the OpenAPI document is read
  state: () => current,
  href: (s) => toURL(s),
  // navigate shows state s and records it in the history (replacing the
  // current entry when replace is set: a change not worth a Back step).
  navigate(s, replace) {
    const u = toURL(s);
    if (u !== location.search && !(u === location.pathname && !location.search)) {
      if (replace) history.replaceState(null, "", u);
      else history.pushState(null, "", u);
    }
    render();
  },
  showError(e, what) {
    const box = $("#error");
    box.textContent = describe(e, what);
    box.hidden = false;
  },
  clearError() {
    const box = $("#error");
    box.textContent = "";
    box.hidden = true;
  },
  openKeyDialog() {
    const d = $("#key-dialog");
    $("#key-input").value = apiKey();
    d.showModal();
  },
};

const views = {};

function render() {
  current = fromURL(location.search);
  const s = current;
  for (const v of document.querySelectorAll("main > .view")) v.hidden = v.id !== "view-" + s.view;
  for (const a of document.querySelectorAll("nav a[data-view]")) {
    const on = a.dataset.view === s.view || (s.view === "article" && a.dataset.view === "search");
    if (on) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (s.view !== "outlets") views.outlets.stop();
  if (s.view !== "watches") views.watches.stop();
  if (s.view !== "stories") views.stories.stop();
  document.title = (s.view === "search" || s.view === "article") && s.q ? s.q + " – newswatch" : s.view === "search" ? "newswatch" : s.view + " – newswatch";
  if (s.view !== "search" && s.view !== "article") app.clearError();
  switch (s.view) {
    case "search":
      views.search.show(s);
      break;
    case "article":
      views.article.show(s);
      break;
    default:
      views[s.view].show(s);
  }
}

function isTyping(e) {
  const t = e.target;
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

function wire() {
  // Links inside the page change the state without reloading it.
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[href]");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || u.pathname !== "/") return;
    e.preventDefault();
    history.pushState(null, "", u.search || "/");
    render();
    if (current.view !== "search" && current.view !== "article") $("#main").focus();
  });
  window.addEventListener("popstate", render);
  // "/" goes to the search box; Escape leaves an article.
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && !isTyping(e) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      if (current.view !== "search") app.navigate(Object.assign({}, current, { view: "search", id: "", cmp: "" }));
      $("#q").focus();
      $("#q").select();
    } else if (e.key === "Escape" && current.view === "article" && !document.querySelector("dialog[open]")) {
      const back = current.id;
      app.navigate(Object.assign({}, current, { view: "search", id: "", cmp: "" }));
      const link = document.querySelector(`#results a.open-article[data-id="${CSS.escape(back)}"]`);
      if (link) link.focus();
    }
  });
  const keyButton = $("#key-button");
  const markKey = () => {
    keyButton.classList.toggle("set", !!apiKey());
    keyButton.setAttribute("aria-label", apiKey() ? "API key (set)" : "API key (none)");
  };
  markKey();
  keyButton.addEventListener("click", () => app.openKeyDialog());
  $("#key-dialog").addEventListener("close", () => {
    const d = $("#key-dialog");
    if (d.returnValue === "save") setApiKey($("#key-input").value.trim());
    if (d.returnValue === "forget") setApiKey("");
    $("#key-input").value = "";
    markKey();
    keyButton.focus();
  });
}

async function start() {
  wire();
  try {
    app.caps = await capabilities();
  } catch (e) {
    app.showError(e, "The API's description (/v1/openapi.json) could not be read; trying every view anyway");
  }
  for (const [view, route] of Object.entries(NEEDS)) {
    const link = document.querySelector(`nav a[data-view="${view}"]`);
    if (link) link.parentElement.hidden = !app.caps.has(route);
  }
  views.search = createSearch(app);
  views.article = createArticle(app);
  views.outlets = createOutlets(app);
  views.watches = createWatches(app);
  views.stories = createStories(app);
  render();
  document.documentElement.dataset.ready = "true"; // for tests and screenshots
}

start();
