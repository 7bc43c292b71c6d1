// Small helpers: building DOM without innerHTML (article text is never
// parsed as HTML), formatting the API's numbers and times.

// h builds an element: h("a", {href: u, class: "x"}, "text", child, ...).
// Attributes with null/undefined/false values are left out; "on*"
// functions become listeners; text children become text nodes.
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(e) {
  while (e.firstChild) e.firstChild.remove();
  return e;
}

export function $(sel, root) {
  return (root || document).querySelector(sel);
}

const numberFormat = new Intl.NumberFormat("en");

export function num(n) {
  return typeof n === "number" ? numberFormat.format(n) : "–";
}

export function percent(x) {
  return typeof x === "number" ? (x * 100).toFixed(x < 0.1 ? 1 : 0) + "%" : "–";
}

// marked turns a highlight fragment of the API (text with matches in
// <mark>) into nodes: only <mark> survives, everything else is text. The
// fragment is parsed by an inert DOMParser, so nothing in it runs.
export function marked(fragment) {
  const doc = new DOMParser().parseFromString("<body>" + fragment, "text/html");
  const out = document.createDocumentFragment();
  const walk = (from, to) => {
    for (const n of from.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) to.append(document.createTextNode(n.data));
      else if (n.nodeType === Node.ELEMENT_NODE && n.localName === "mark") {
        const m = document.createElement("mark");
        walk(n, m);
        to.append(m);
      } else if (n.nodeType === Node.ELEMENT_NODE) walk(n, to);
    }
  };
  walk(doc.body, out);
  return out;
}

// safeHref is u when it is an http(s) URL, else null (no javascript:).
export function safeHref(u) {
  try {
    const p = new URL(u);
    return p.protocol === "http:" || p.protocol === "https:" ? p.href : null;
  } catch {
    return null;
  }
}

// luxonZone turns an API time zone (IANA name or +04:00) into one luxon
// knows ("UTC+04:00"); "" stays "" (the time's own offset).
export function luxonZone(tz) {
  if (!tz) return "";
  if (/^[+-]\d{2}:\d{2}$/.test(tz)) return "UTC" + tz;
  if (tz === "Z") return "UTC";
  return tz;
}

// dateTime formats an RFC 3339 time of the API in zone (an API zone), or
// in its own offset when zone is "" or unknown to the browser.
export function dateTime(iso, zone, withZone) {
  if (!iso) return "–";
  const L = window.luxon;
  let d = L.DateTime.fromISO(iso, { setZone: true });
  if (!d.isValid) return iso;
  const z = luxonZone(zone);
  if (z) {
    const dz = d.setZone(z);
    if (dz.isValid) d = dz;
  }
  let s = d.toFormat("d LLL yyyy, HH:mm", { locale: "en" });
  if (withZone !== false) s += " " + (d.zone.isUniversal && d.offset === 0 ? "UTC" : d.toFormat("ZZ"));
  return s;
}

// ago says how long before now an API time was, roughly.
export function ago(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  let s = Math.round((Date.now() - t) / 1000);
  const future = s < 0;
  s = Math.abs(s);
  let out;
  if (s < 60) out = s + " s";
  else if (s < 3600) out = Math.round(s / 60) + " min";
  else if (s < 86400) out = Math.round(s / 3600) + " h";
  else out = Math.round(s / 86400) + " d";
  return future ? "in " + out : out + " ago";
}

// duration formats seconds from the API (an interval, a latency).
export function duration(sec) {
  if (typeof sec !== "number") return "–";
  if (sec < 1) return Math.round(sec * 1000) + " ms";
  if (sec < 90) return (sec < 10 ? sec.toFixed(1) : Math.round(sec)) + " s";
  if (sec < 5400) return Math.round(sec / 60) + " min";
  if (sec < 129600) return (sec / 3600).toFixed(1) + " h";
  return (sec / 86400).toFixed(1) + " d";
}

const languageNames = (() => {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" });
  } catch {
    return null;
  }
})();

// language names a language code (az: Azerbaijani) and keeps the code.
export function language(code) {
  if (!code) return "(none)";
  let name = "";
  try {
    name = languageNames ? languageNames.of(code) : "";
  } catch {
    name = "";
  }
  return name && name !== code ? name + " (" + code + ")" : code;
}

// langAttr is a safe value for a lang attribute, or null.
export function langAttr(code) {
  return code && /^[a-zA-Z]{2,8}(-[a-zA-Z0-9]{1,8})*$/.test(code) ? code : null;
}

// panelMsg shows msg (or nothing, for "") in a panel's .panel-msg line;
// bad marks it as an error.
export function panelMsg(panel, msg, bad) {
  const p = panel.querySelector(".panel-msg");
  p.textContent = msg;
  p.hidden = !msg;
  p.classList.toggle("bad", !!bad);
}
