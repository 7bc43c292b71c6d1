// Charts (Chart.js, vendored) of the API's counts: the timeline of
// GET /v1/stats/timeline split by outlet or language, and the top outlets
// and languages of GET /v1/stats/top. Every number drawn is one the API
// sent; each chart has a table of the same numbers beside it.

import { h, clear, num, dateTime, language, luxonZone } from "./dom.js";

// Distinct colours that stay apart for people with the common colour
// vision deficiencies (Okabe-Ito, then Tableau's), grey for (other) and
// (none).
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
  "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F"];
const GREY = "#9aa1ab";

function colourOf(key, i) {
  return key === "(other)" || key === "(none)" ? GREY : PALETTE[i % PALETTE.length];
}

function label(split, key) {
  return split === "lang" && key !== "(other)" && key !== "(none)" ? language(key) : key;
}

const charts = new Map(); // canvas id -> Chart

function draw(canvas, config) {
  const old = charts.get(canvas.id);
  if (old) old.destroy();
  const c = new window.Chart(canvas, config);
  charts.set(canvas.id, c);
  return c;
}

// timelineDatasets turns a timeline answer into Chart.js datasets: one per
// split key (stacked), or one for all articles.
export function timelineDatasets(tl, split) {
  const buckets = tl.buckets || [];
  if (!tl.split_keys || !tl.split_keys.length || split === "none") {
    return [{ label: "articles", key: "", data: buckets.map((b) => ({ x: Date.parse(b.start), y: b.count })), backgroundColor: PALETTE[0] }];
  }
  return tl.split_keys.map((key, i) => ({
    label: label(split, key),
    key,
    data: buckets.filter((b) => b.split && b.split[key]).map((b) => ({ x: Date.parse(b.start), y: b.split[key] })),
    backgroundColor: colourOf(key, i),
  }));
}

const TICK_FORMATS = {
  hour: { hour: "d LLL HH:mm", day: "d LLL yyyy" },
  day: { day: "d LLL yyyy" },
  week: { week: "'week of' d LLL yyyy" },
  month: { month: "LLL yyyy" },
};
const TOOLTIP_FORMAT = { hour: "d LLL yyyy, HH:mm", day: "d LLL yyyy (ccc)", week: "'week of' d LLL yyyy", month: "LLLL yyyy" };

export function drawTimeline(canvas, tableBox, tl, split) {
  const zone = luxonZone(tl.time_zone) || "UTC";
  const datasets = timelineDatasets(tl, split);
  const interval = tl.interval;
  const chart = draw(canvas, {
    type: "bar",
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: datasets.length > 1, position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { footer: (items) => "total " + num(items.reduce((s, it) => s + it.parsed.y, 0)) } },
      },
      scales: {
        x: {
          type: "time",
          stacked: true,
          offset: true,
          adapters: { date: { zone, locale: "en" } },
          time: { unit: interval, isoWeekday: true, displayFormats: TICK_FORMATS[interval], tooltipFormat: TOOLTIP_FORMAT[interval] },
          ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
          grid: { display: false },
        },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "articles per " + interval } },
      },
      datasets: { bar: { maxBarThickness: 48, categoryPercentage: 0.9, barPercentage: 0.95 } },
    },
  });
  canvas.setAttribute("aria-label", "Articles per " + interval + " in " + tl.time_zone + ", " + num(tl.total) + " in all; the table below has the numbers");
  timelineTable(tableBox, tl, split);
  return chart;
}

function timelineTable(box, tl, split) {
  clear(box);
  const keys = split !== "none" && tl.split_keys ? tl.split_keys : [];
  const head = h("tr", null, h("th", { scope: "col" }, tl.interval + " from (" + tl.time_zone + ")"), h("th", { scope: "col" }, "articles"),
    keys.map((k) => h("th", { scope: "col" }, label(split, k))));
  const rows = (tl.buckets || []).map((b) => h("tr", { "data-start": b.start },
    h("td", null, dateTime(b.start, tl.time_zone, false)), h("td", null, num(b.count)),
    keys.map((k) => h("td", null, b.split && b.split[k] ? num(b.split[k]) : ""))));
  box.append(h("table", { class: "counts", id: "timeline-counts" },
    h("caption", { class: "sr-only" }, "Articles per " + tl.interval),
    h("thead", null, head), h("tbody", null, rows)));
  if (tl.missing) {
    box.append(h("p", { class: "hint" }, num(tl.missing) + " matching articles have no date and are not in the chart."));
  }
}

// drawTop draws one facet of a /v1/stats/top answer as horizontal bars
// with a table of the same counts.
export function drawTop(canvas, tableBox, facet, counts) {
  const values = counts.values || [];
  const labels = values.map((v) => (facet === "lang" ? language(v.value) : v.value));
  canvas.parentElement.style.height = Math.max(90, 40 + 26 * values.length) + "px";
  draw(canvas, {
    type: "bar",
    data: { labels, datasets: [{ label: "articles", data: values.map((v) => v.count), backgroundColor: values.map((v, i) => colourOf(v.value, i)) }] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: "y",
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } },
    },
  });
  clear(tableBox);
  tableBox.append(h("table", { class: "counts" },
    h("thead", null, h("tr", null, h("th", { scope: "col" }, facet), h("th", { scope: "col" }, "articles"))),
    h("tbody", null, values.map((v, i) => h("tr", null, h("td", null, labels[i]), h("td", null, num(v.count)))))));
  const notes = [];
  if (counts.other) notes.push(num(counts.other) + " in others");
  if (counts.missing) notes.push(num(counts.missing) + " without a value");
  if (notes.length) tableBox.append(h("p", { class: "hint" }, notes.join("; ")));
  canvas.setAttribute("aria-label", "Top " + facet + ": " + values.map((v, i) => labels[i] + " " + num(v.count)).join(", "));
}

export function clearChart(canvas) {
  const old = charts.get(canvas.id);
  if (old) old.destroy();
  charts.delete(canvas.id);
}
