// The article view: GET /v1/articles/{id}, the newest version in full with
// its facts, and its versions with a word diff between any two of them.

import { getJSON, describe } from "./api.js";
import { h, $, clear, num, dateTime, language, langAttr, safeHref } from "./dom.js";

export function createArticle(app) {
  const box = $("#article");
  let rec = null; // the record on screen
  let seq = 0;

  async function show(s) {
    $("#back-to-results").href = app.href(Object.assign({}, s, { view: "search", id: "", cmp: "" }));
    if (rec && rec.article.id === s.id) {
      render(rec, s);
      return;
    }
    const run = ++seq;
    clear(box).append(h("p", { class: "hint" }, "Loading…"));
    let r;
    try {
      r = await getJSON("/v1/articles/" + encodeURIComponent(s.id));
    } catch (e) {
      if (run !== seq) return;
      rec = null;
      clear(box).append(h("h2", { id: "article-title" }, "Article " + s.id), h("p", { class: "panel-msg bad", role: "alert" }, describe(e, "The article could not be loaded")));
      return;
    }
    if (run !== seq) return;
    rec = r;
    render(rec, s);
    $("#article-title").focus();
  }

  function render(r, s) {
    const a = r.article;
    const lang = langAttr(a.language);
    const versions = r.versions || [];
    const orig = safeHref(a.url);
    const canon = safeHref(a.canonical_url);
    const facts = [
      ["Outlet", a.outlet],
      ["Published", a.published_at ? dateTime(a.published_at, s.tz) + (a.date_source ? " (from " + a.date_source + ")" : "") : "no date found"],
      a.modified_at ? ["Modified", dateTime(a.modified_at, s.tz)] : null,
      ["Fetched", dateTime(a.fetched_at, s.tz)],
      a.language ? ["Language", language(a.language)] : null,
      a.section ? ["Section", h("span", { lang }, a.section)] : null,
      a.authors && a.authors.length ? ["Authors", h("span", { lang }, a.authors.join(", "))] : null,
      a.tags && a.tags.length ? ["Tags", h("span", { lang }, a.tags.join(", "))] : null,
      ["Version", num(a.version) + (versions.length > 1 ? " (" + num(versions.length) + " versions stored)" : "")],
      typeof a.views === "number" ? ["Views", num(a.views)] : null,
      ["Original", orig ? h("a", { href: orig, rel: "noopener noreferrer", target: "_blank" }, a.url) : a.url],
      canon && a.canonical_url !== a.url ? ["Canonical URL", h("a", { href: canon, rel: "noopener noreferrer", target: "_blank" }, a.canonical_url)] : null,
      ["ID", h("code", null, a.id)],
    ].filter(Boolean);
    const paragraphs = (a.body || "").split(/\n\s*\n/).filter((p) => p.trim());
    clear(box).append(
      h("div", { class: "article-head" }, h("h2", { id: "article-title", lang, tabindex: "-1" }, a.title || "(no title)")),
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
      h("div", { class: "article-body", lang },
        a.lead ? h("p", { class: "lead" }, a.lead) : null,
        paragraphs.map((p) => h("p", null, p))),
      versionsSection(r, s));
  }

  function versionsSection(r, s) {
    const vs = r.versions || [];
    const a = r.article;
    const lang = langAttr(a.language);
    const sec = h("section", { class: "versions", "aria-labelledby": "versions-heading" }, h("h3", { id: "versions-heading" }, "Versions"));
    if (vs.length < 2) {
      sec.append(h("p", { class: "hint" }, vs.length ? "One version: the article has not been edited since newswatch first fetched it." : "No version history stored."));
      return sec;
    }
    sec.append(h("table", null,
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "version"), h("th", { scope: "col" }, "fetched"), h("th", { scope: "col" }, "title"))),
      h("tbody", null, vs.map((v) => h("tr", null, h("td", null, num(v.version)), h("td", null, dateTime(v.fetched_at, s.tz)), h("td", { lang }, v.title || ""))))));
    // Which two to compare: cmp=i..j (indexes into the list, oldest
    // first), by default the last two.
    let [i, j] = [vs.length - 2, vs.length - 1];
    const m = /^(\d+)\.\.(\d+)$/.exec(s.cmp);
    if (m && +m[1] < vs.length && +m[2] < vs.length && m[1] !== m[2]) [i, j] = [+m[1], +m[2]];
    const pick = (id, sel) => h("select", { id, onchange: () => {
      const ni = +$("#cmp-from").value;
      const nj = +$("#cmp-to").value;
      app.navigate(Object.assign({}, app.state(), { cmp: ni + ".." + nj }), true);
    } }, vs.map((v, k) => h("option", { value: k, selected: k === sel }, "version " + v.version + " (" + dateTime(v.fetched_at, s.tz) + ")")));
    sec.append(h("div", { class: "controls" },
      h("label", null, "Compare ", pick("cmp-from", i)),
      h("label", null, "with ", pick("cmp-to", j))));
    sec.append(diffBox(vs[i], vs[j], a.language));
    return sec;
  }

  return { show };
}

// diffBox shows what changed from version a to b, word by word.
function diffBox(a, b, langCode) {
  const lang = langAttr(langCode);
  let seg = null;
  try {
    seg = new Intl.Segmenter(lang || undefined, { granularity: "word" });
  } catch {
    seg = null;
  }
  // Words, spaces and punctuation as the language's segmenter cuts them
  // (Azerbaijani and Russian words included), compared as tokens: the
  // text without the insertions is exactly the old one, without the
  // deletions exactly the new one.
  const tokens = (x) => (seg ? Array.from(seg.segment(x), (t) => t.segment) : x.split(/(\s+)/));
  const words = (x, y) => {
    const parts = window.Diff.diffArrays(tokens(x || ""), tokens(y || ""));
    return parts.map((p) => {
      const v = p.value.join("");
      return p.added ? h("ins", null, v) : p.removed ? h("del", null, v) : fold(v);
    });
  };
  const box = h("div", { class: "diff", id: "diff", "aria-live": "polite" },
    h("p", { class: "hint" }, "From version " + a.version + " to version " + b.version + ": ", h("del", null, "removed"), " ", h("ins", null, "added"), "."));
  const field = (name, x, y) => {
    box.append(h("h4", null, name + (x === y ? " (unchanged)" : "")), h("p", { lang, "data-field": name.toLowerCase() }, x === y ? x || "(empty)" : words(x, y)));
  };
  field("Title", a.title, b.title);
  if (a.text_kept && b.text_kept) {
    field("Lead", a.lead, b.lead);
    field("Body", a.body, b.body);
  } else {
    box.append(h("p", { class: "hint" }, "The text of " + (a.text_kept ? "version " + b.version : b.text_kept ? "version " + a.version : "these versions") +
      " was not kept (stored before newswatch kept the text of versions): only the titles compare."));
  }
  return box;
}

// fold shows a long unchanged stretch of text by its ends, the middle
// behind a button (and found by the browser's find-in-page all the same),
// so that the changes of a long article stand out.
const KEEP = 160;
export function fold(text) {
  if (text.length < 3 * KEEP + 100) return text;
  // Cut between words.
  let a = text.indexOf(" ", KEEP);
  let z = text.lastIndexOf(" ", text.length - KEEP);
  if (a < 0 || z <= a) [a, z] = [KEEP, text.length - KEEP];
  const middle = h("span", { hidden: "until-found" }, text.slice(a, z));
  const button = h("button", { type: "button", class: "fold", "aria-expanded": "false" }, "… unchanged text …");
  button.addEventListener("click", () => {
    middle.hidden = false;
    button.remove();
  });
  middle.addEventListener("beforematch", () => button.remove());
  return h("span", null, text.slice(0, a), button, middle, text.slice(z));
}

