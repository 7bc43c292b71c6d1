// The HTTP API as the page uses it: JSON GETs with the user's API key (if
// one is set), errors turned into ApiError with the API's own code and
// message, and what this server serves (read from its /v1/openapi.json).

const KEY_STORAGE = "newswatch.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status; // 0: the API could not be reached
    this.code = code;
    this.retryAfter = retryAfter || "";
  }
  // A sentence for people: what went wrong, as the API said it.
  describe(what) {
    let s = what ? what + ": " : "";
    if (this.status === 0) {
      return s + "the API could not be reached (" + this.message + ")";
    }
    s += this.message;
    const tail = [String(this.status)];
    if (this.code) tail.push(this.code);
    s += " (" + tail.join(" ") + ")";
    if (this.retryAfter) s += "; retry in " + this.retryAfter + " s";
    if (this.status === 401 || this.status === 403) s += ". Set a key with the “API key” button.";
    return s;
  }
}

export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function setApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: the key lasts until the page is left
  }
}

function headers(extra) {
  const h = Object.assign({ Accept: "application/json" }, extra || {});
  const key = apiKey();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

// url builds path?params from an object whose values are strings or
// arrays of strings (repeated parameters); empty values are left out.
export function url(path, params) {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    for (const x of Array.isArray(v) ? v : [v]) {
      if (x !== undefined && x !== null && x !== "") sp.append(k, String(x));
    }
  }
  const qs = sp.toString();
  return qs ? path + "?" + qs : path;
}

// errorOf reads an error answer: the API's JSON error, or the start of
// whatever else came (a proxy's page, say).
export async function errorOf(resp) {
  const retry = resp.headers.get("Retry-After") || "";
  let text = "";
  try {
    text = await resp.text();
  } catch (e) {
    return new ApiError(resp.status, "", "the answer could not be read: " + e.message, retry);
  }
  try {
    const j = JSON.parse(text);
    if (j && j.error && typeof j.error.message === "string") {
      return new ApiError(resp.status, j.error.code || "", j.error.message, retry);
    }
  } catch {
    // not JSON
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return new ApiError(resp.status, "", snippet || resp.statusText || "no message", retry);
}

// fetchOK fetches with the key and returns the response when it is 2xx,
// else throws ApiError.
export async function fetchOK(path, params, init) {
  let resp;
  try {
    resp = await fetch(url(path, params), Object.assign({ headers: headers() }, init || {}));
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", e.message || String(e));
  }
  if (!resp.ok) throw await errorOf(resp);
  return resp;
}

export async function getJSON(path, params, init) {
  const resp = await fetchOK(path, params, init);
  return readJSON(resp);
}

async function readJSON(resp) {
  try {
    return await resp.json();
  } catch (e) {
    throw new ApiError(resp.status, "", "the answer is not JSON: " + e.message);
  }
}

// sendJSON sends a JSON body (or none) with method and returns the
// answer's JSON; errors as fetchOK.
export async function sendJSON(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  return readJSON(await fetchOK(path, null, init));
}

// streamEvents reads the server-sent events of path (GET, with the key,
// which EventSource cannot send) until the stream ends, calling onOpen
// once it answers: on.open(), for each event on.event({id, event, data})
// as the EventSource rules parse them, and on.retry(ms) when the server
// says how long to wait before reconnecting. lastId, when not null, goes
// as Last-Event-ID: the server resumes after that event. It returns when
// the stream ends and throws ApiError when the server refuses or the
// connection breaks.
export async function streamEvents(path, lastId, signal, on) {
  const extra = { Accept: "text/event-stream" };
  if (lastId !== null && lastId !== undefined) extra["Last-Event-ID"] = String(lastId);
  let resp;
  try {
    resp = await fetch(path, { headers: headers(extra), signal, cache: "no-store" });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", e.message || String(e));
  }
  if (!resp.ok) throw await errorOf(resp);
  on.open();
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let ev = { id: null, event: "", data: [] };
  const line = (l) => {
    if (l === "") {
      if (ev.data.length) on.event({ id: ev.id, event: ev.event || "message", data: ev.data.join("\n") });
      ev = { id: ev.id, event: "", data: [] };
      return;
    }
    if (l.startsWith(":")) return; // a comment: the hello, a heartbeat
    const i = l.indexOf(":");
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? "" : l.slice(i + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") ev.data.push(value);
    else if (field === "event") ev.event = value;
    else if (field === "id" && !value.includes("\0")) ev.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) on.retry(Number(value));
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += value;
      // A CR at the end may be the first half of a CRLF: kept for later.
      const cut = buf.endsWith("\r") ? buf.length - 1 : buf.length;
      const parts = buf.slice(0, cut).split(/\r\n|\r|\n/);
      buf = parts.pop() + buf.slice(cut);
      for (const l of parts) line(l);
    }
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "the event stream broke off: " + (e.message || String(e)));
  }
}

// Capabilities: the routes this server's OpenAPI document lists, so that
// views whose API has not landed on a server say so instead of failing.
export async function capabilities() {
  const doc = await getJSON("/v1/openapi.json");
  const paths = new Set();
  for (const [p, ops] of Object.entries(doc.paths || {})) {
    for (const m of Object.keys(ops)) paths.add(m.toUpperCase() + " " + p);
  }
  return {
    has(methodPath) {
      return paths.has(methodPath);
    },
    // params lists the query parameters a route takes.
    params(methodPath) {
      const [m, p] = methodPath.split(" ");
      const op = ((doc.paths || {})[p] || {})[m.toLowerCase()] || {};
      return (op.parameters || []).filter((x) => x.in === "query").map((x) => x.name);
    },
    // schema is a component schema of the document ({} when missing).
    schema(name) {
      return ((doc.components || {}).schemas || {})[name] || {};
    },
  };
}

// describe is a sentence for any error: the API's own message for an
// ApiError.
export function describe(e, what) {
  return e instanceof ApiError ? e.describe(what) : (what ? what + ": " : "") + (e.message || String(e));
}
