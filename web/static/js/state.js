// The page's state lives in its URL, so that every search, chart and
// article view can be bookmarked and shared: /?q=...&outlet=a&outlet=b...

export const VIEWS = ["search", "article", "outlets", "watches", "stories"];
export const FILTERS = ["outlet", "lang", "section"]; // multi-valued filters
export const INTERVALS = ["hour", "day", "week", "month"];
export const SPLITS = ["outlet", "lang", "none"];
export const SORTS = ["relevance", "newest", "oldest"];

const DEFAULTS = { view: "search", sort: "relevance", interval: "day", split: "outlet" };

export function emptyState() {
  return {
    view: "search", q: "", outlet: [], lang: [], section: [], from: "", to: "", tz: "",
    sort: "relevance", interval: "day", split: "outlet", id: "", cmp: "", watch: "", story: "", gapof: "", vs: [],
  };
}

function oneOf(v, allowed, def) {
  return allowed.includes(v) ? v : def;
}

// fromURL reads the state from a location's search string. Unknown values
// fall back to the defaults; the API judges the rest (a bad date or zone
// is its 400, shown as it says it).
export function fromURL(search) {
  const sp = new URLSearchParams(search);
  const s = emptyState();
  s.view = oneOf(sp.get("view") || "", VIEWS, "search");
  s.q = sp.get("q") || "";
  for (const f of FILTERS) {
    const vals = [];
    for (const v of sp.getAll(f)) {
      if (v !== "" && !vals.includes(v)) vals.push(v);
    }
    s[f] = vals;
  }
  s.from = sp.get("from") || "";
  s.to = sp.get("to") || "";
  s.tz = sp.get("tz") || "";
  s.sort = oneOf(sp.get("sort") || "", SORTS, DEFAULTS.sort);
  s.interval = oneOf(sp.get("interval") || "", INTERVALS, DEFAULTS.interval);
  s.split = oneOf(sp.get("split") || "", SPLITS, DEFAULTS.split);
  s.id = sp.get("id") || "";
  s.cmp = sp.get("cmp") || "";
  s.watch = sp.get("watch") || "";
  s.story = sp.get("story") || "";
  s.gapof = sp.get("gapof") || "";
  s.vs = [...new Set(sp.getAll("vs").filter((v) => v !== ""))];
  if (s.view === "article" && !s.id) s.view = "search";
  return s;
}

// toURL is the search string of a state, defaults left out.
export function toURL(s) {
  const sp = new URLSearchParams();
  if (s.view !== DEFAULTS.view) sp.set("view", s.view);
  if (s.q) sp.set("q", s.q);
  for (const f of FILTERS) for (const v of s[f]) sp.append(f, v);
  for (const k of ["from", "to", "tz"]) if (s[k]) sp.set(k, s[k]);
  for (const k of ["sort", "interval", "split"]) if (s[k] !== DEFAULTS[k]) sp.set(k, s[k]);
  if (s.view === "article") {
    sp.set("id", s.id);
    if (s.cmp) sp.set("cmp", s.cmp);
  }
  if (s.view === "watches" && s.watch) sp.set("watch", s.watch);
  if (s.view === "stories") {
    if (s.story) sp.set("story", s.story);
    if (s.gapof) sp.set("gapof", s.gapof);
    for (const v of s.vs || []) sp.append("vs", v);
  }
  const qs = sp.toString();
  return qs ? "?" + qs : location.pathname;
}

// query is the part of the state every search-like request takes.
export function query(s, without) {
  const p = { q: s.q, from: s.from, to: s.to, tz: s.tz };
  for (const f of FILTERS) if (f !== without) p[f] = s[f];
  return p;
}

export function sameSearch(a, b) {
  return JSON.stringify(query(a)) === JSON.stringify(query(b)) && a.sort === b.sort;
}
