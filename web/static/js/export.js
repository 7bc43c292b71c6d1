// Export buttons: GET /v1/export of the current query as CSV, NDJSON or
// Parquet, with the user's key (exports need scope export), saved as the
// file the API names. The browser holds the file until it is saved; for
// very large exports `newswatch export` streams to disk with a manifest.

import { fetchOK, describe } from "./api.js";
import { $, h, num } from "./dom.js";
import { query } from "./state.js";

let current = null; // {total, state} of the search on screen
let app = null;

export function setupExport(a) {
  app = a;
  for (const b of document.querySelectorAll("#export-panel button[data-format]")) {
    b.addEventListener("click", () => run(b.dataset.format, b));
  }
}

// exportScope says what the buttons would export: the search on screen
// (total from the API), or nothing (null) after a failed search.
export function exportScope(total, state) {
  current = total === null ? null : { total, state: Object.assign({}, state) };
  const what = $("#export-what");
  what.textContent = current ? "every one of the " + num(total) + " articles of this search" : "";
  for (const b of document.querySelectorAll("#export-panel button[data-format]")) b.disabled = !current;
}

function status(msg, bad, extra) {
  const p = $("#export-status");
  p.replaceChildren(msg, ...(extra || []));
  p.hidden = !msg;
  p.classList.toggle("bad", !!bad);
}

function fileName(resp, format) {
  const cd = resp.headers.get("Content-Disposition") || "";
  const m = /filename="?([^";]+)"?/.exec(cd);
  return m ? m[1] : "newswatch-export." + format;
}

function size(bytes) {
  if (bytes < 1024) return bytes + " bytes";
  if (bytes < 1 << 20) return (bytes / 1024).toFixed(1) + " KiB";
  return (bytes / (1 << 20)).toFixed(1) + " MiB";
}

let running = null;

async function run(format, button) {
  if (!current || running) return;
  if (!app.caps.has("GET /v1/export")) {
    status("Exports need GET /v1/export, which this server does not serve.", true);
    return;
  }
  const ctl = new AbortController();
  running = ctl;
  const buttons = document.querySelectorAll("#export-panel button[data-format]");
  for (const b of buttons) b.disabled = true;
  const cancel = h("button", { type: "button", class: "quiet", onclick: () => ctl.abort() }, "Cancel");
  status("Starting the " + format.toUpperCase() + " export…", false, [" ", cancel]);
  try {
    const resp = await fetchOK("/v1/export", Object.assign(query(current.state), { format }), { signal: ctl.signal });
    const name = fileName(resp, format);
    const total = resp.headers.get("Newswatch-Export-Total");
    const chunks = [];
    let got = 0;
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
      status("Downloading " + name + ": " + size(got) + (total !== null ? " of " + num(Number(total)) + " articles" : "") + "…", false, [" ", cancel]);
    }
    const blob = new Blob(chunks, { type: resp.headers.get("Content-Type") || "application/octet-stream" });
    const href = URL.createObjectURL(blob);
    const a = h("a", { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    status("Saved " + name + " (" + size(got) + (total !== null ? ", " + num(Number(total)) + " articles" : "") + ").", false);
    $("#export-status").dataset.file = name;
  } catch (e) {
    if (e.name === "AbortError") status("Export cancelled.", false);
    else {
      const extra = e.status === 401 || e.status === 403 ? [" ", h("button", { type: "button", onclick: () => app.openKeyDialog() }, "Set an API key")] : [];
      status(describe(e, "Export failed"), true, extra);
    }
  } finally {
    running = null;
    for (const b of buttons) b.disabled = !current;
  }
}
