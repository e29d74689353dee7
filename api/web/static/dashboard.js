// Analyst dashboard: the metric API (/metrics/...) as charts, with a date range, a period
// (day, week, month) and a breakdown per section; each chart's rows download as CSV.
/* global Chart */
import { api, ApiError, askForKey, clear, downloadCsv, ensureKey, fmt, forgetKey, h } from "./common.js";
import {
  addDays, cemRatios, CEM_SUMS, costRatios, COST_SUMS, isoDay, periods, rollup, sumAll, topGroups, total,
} from "./dashboard_data.js";
import { drawArrivals } from "./dashboard_heatmap.js";
import { pressureChart } from "./dashboard_pressure.js";

const ROLE = "analyst";
const COLOURS = ["#2f7dd1", "#e07b39", "#2a9d8f", "#c0392b", "#7a5bd1", "#b7791f", "#d14d83", "#5f6b7a"];
const $ = (id) => document.getElementById(id);
const charts = new Map();
const queries = {}; // panel -> API path of what it shows (for its CSV)

Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
Chart.defaults.plugins.legend.labels.boxWidth = 12;

function draw(id, config) {
  charts.get(id)?.destroy();
  const canvas = $(id);
  charts.set(id, new Chart(canvas, config));
  // For tests and curious readers: how many numbers the chart plots.
  const points = config.data.datasets.flatMap((d) => d.data).filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
  canvas.dataset.points = String(points.length);
}

function settings() {
  const form = $("controls");
  return Object.fromEntries(new FormData(form).entries());
}

function query(path, params) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined));
  return `${path}?${search}`;
}

async function fetchJson(path) {
  try {
    return await api(path);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      forgetKey();
      const key = await askForKey(ROLE, error.status === 401 ? "That key was not accepted." : "That key is not an analyst key.");
      // A dismissed dialog stops here (the page keeps what it shows) instead of asking again forever.
      if (!key) throw error;
      return fetchJson(path);
    }
    throw error;
  }
}

const axisPct = { ticks: { callback: (v) => `${v} %` } };
const line = (label, data, colour, extra = {}) => ({
  type: "line", label, data, borderColor: colour, backgroundColor: colour, pointRadius: 2, borderWidth: 2, spanGaps: true, ...extra,
});

// --- calls ---------------------------------------------------------------------------

async function showCalls(s) {
  const groupBy = ["day", s.calls].filter(Boolean).join(",");
  const path = query("/metrics/cost", { from: s.from, to: s.to, group_by: groupBy });
  queries.volumes = queries.speed = queries.abandonment = path;
  const report = await fetchJson(path);
  const keys = periods(s.from, s.to, s.per);
  const groups = rollup(report.rows, s.per, s.calls, COST_SUMS);
  const all = total(groups, COST_SUMS);
  const shown = s.calls ? topGroups(groups, "offered") : [""];
  const at = (byPeriod, f) => keys.map((k) => (byPeriod.get(k) ? f(byPeriod.get(k)) : null));
  callKpis(sumAll(all, COST_SUMS));
  const bars = s.calls
    ? shown.map((g, i) => ({ type: "bar", label: g || "(none)", data: at(groups.get(g), (x) => x.offered), backgroundColor: COLOURS[i % 8], stack: "calls", yAxisID: "y" }))
    : [
      { type: "bar", label: "answered", data: at(all, (x) => x.answered), backgroundColor: "#2f7dd1", stack: "calls", yAxisID: "y" },
      { type: "bar", label: "abandoned", data: at(all, (x) => x.abandoned), backgroundColor: "#e07b39", stack: "calls", yAxisID: "y" },
    ];
  const serviceLevel = line("service level", at(all, (x) => pct(costRatios(x).serviceLevel)), "#1f8a4c", { yAxisID: "sl" });
  draw("chart-volumes", {
    data: { labels: keys, datasets: [...bars, serviceLevel] },
    options: { scales: { y: { stacked: true, title: { display: true, text: "calls offered" } }, x: { stacked: true },
      sl: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ...axisPct } } },
  });
  const series = (f, dash) => shown.map((g, i) => line(`${g ? `${g} ` : ""}${dash ? "ASA" : "AHT"}`,
    at(g ? groups.get(g) : all, (x) => f(costRatios(x))), COLOURS[i % 8], dash ? { borderDash: [5, 4], yAxisID: "asa" } : { yAxisID: "aht" }));
  draw("chart-speed", {
    data: { labels: keys, datasets: [...series((r) => r.aht, false), ...series((r) => r.asa, true)] },
    options: { scales: { aht: { position: "left", title: { display: true, text: "AHT (s)" } },
      asa: { position: "right", title: { display: true, text: "ASA (s), dashed" }, grid: { drawOnChartArea: false } } } },
  });
  draw("chart-abandonment", {
    data: { labels: keys, datasets: shown.map((g, i) => line(g || "abandonment rate", at(g ? groups.get(g) : all, (x) => pct(costRatios(x).abandonment)), g ? COLOURS[i % 8] : "#e07b39")) },
    options: { scales: { y: { min: 0, ...axisPct } } },
  });
}

const pct = (fraction) => (fraction === null ? null : 100 * fraction);

async function showArrivals(s) {
  const path = query("/metrics/cost", { from: s.from, to: s.to, group_by: "weekday,time_of_day", interval_minutes: 60 });
  queries.arrivals = path;
  drawArrivals($("arrivals-heatmap"), (await fetchJson(path)).rows, s.from, s.to);
}

function callKpis(sums) {
  const r = costRatios(sums);
  const kpi = (label, value) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label));
  clear($("call-kpis"),
    kpi("offered", fmt.int(sums.offered)), kpi("answered", fmt.int(sums.answered)),
    kpi("service level (20 s)", fmt.pct(r.serviceLevel)), kpi("ASA", fmt.seconds(r.asa)),
    kpi("AHT", r.aht === null ? "–" : fmt.minutes(r.aht)), kpi("abandonment", fmt.pct(r.abandonment)),
    kpi("first-contact resolution", fmt.pct(r.fcr)),
  );
}

// --- campaigns -------------------------------------------------------------------------

async function showCampaigns(s) {
  const path = query("/metrics/crm", { from: s.from, to: s.to, group_by: s.campaigns });
  queries.funnel = queries.cpa = path;
  const rows = (await fetchJson(path)).rows.filter((row) => row.sent > 0).sort((a, b) => b.sent - a.sent).slice(0, 12);
  const name = (row) => String(row[s.campaigns] ?? "(none)");
  const stages = ["sent", "delivered", "responses", "conversions"];
  draw("chart-funnel", {
    type: "bar",
    data: { labels: ["sent", "delivered", "responded", "converted"],
      datasets: rows.slice(0, 8).map((row, i) => ({ label: name(row), data: stages.map((k) => row[k]), backgroundColor: COLOURS[i % 8] })) },
    options: { scales: { y: { type: "logarithmic", title: { display: true, text: "recipients (log scale)" } } } },
  });
  draw("chart-cpa", {
    type: "bar",
    data: { labels: rows.map(name), datasets: [{ label: "cost per acquisition (£)", data: rows.map((r) => (r.cost_per_acquisition === null ? null : Number(r.cost_per_acquisition))), backgroundColor: "#7a5bd1" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: "£ per conversion" } } } },
  });
  campaignTable(rows, name, s.campaigns);
}

async function showPressure(s) {
  const path = query("/metrics/crm", { from: s.from, to: s.to, group_by: "pressure_band" });
  queries.pressure = path;
  draw("chart-pressure", pressureChart((await fetchJson(path)).rows));
}

function campaignTable(rows, name, by) {
  const lift = (row) => (row.response_lift_pp === null ? "–" : `${row.response_lift_pp.toFixed(2)} ± ${row.response_lift_margin_pp.toFixed(2)} pp`);
  const head = h("tr", {}, [by, "sent", "delivered", "response rate", "conversion rate", "customers converting", "cost", "CPA", "revenue", "ROI", "response lift vs control", "opt-out rate"].map((t) => h("th", {}, t)));
  const body = rows.map((row) => h("tr", {},
    h("td", {}, name(row)), h("td", {}, fmt.int(row.sent)), h("td", {}, fmt.int(row.delivered)),
    h("td", {}, fmt.pct(row.response_rate, 2)), h("td", {}, fmt.pct(row.conversion_rate, 2)),
    h("td", {}, fmt.pct(row.customer_conversion_rate, 2)),
    h("td", {}, fmt.money(row.cost)), h("td", {}, fmt.money(row.cost_per_acquisition)), h("td", {}, fmt.money(row.revenue)),
    h("td", {}, row.roi === null ? "–" : fmt.pct(row.roi, 0)), h("td", {}, lift(row)), h("td", {}, fmt.pct(row.opt_out_rate, 2)),
  ));
  clear($("campaign-table"), h("thead", {}, head), h("tbody", {}, body));
}

// --- experience ------------------------------------------------------------------------

async function showExperience(s) {
  const groupBy = ["day", s.experience].filter(Boolean).join(",");
  const path = query("/metrics/cem", { from: s.from, to: s.to, group_by: groupBy });
  queries.nps = queries.csat = path;
  const report = await fetchJson(path);
  const keys = periods(s.from, s.to, s.per);
  const groups = rollup(report.rows, s.per, s.experience, CEM_SUMS);
  const all = total(groups, CEM_SUMS);
  const at = (byPeriod, f) => keys.map((k) => (byPeriod.get(k) ? f(cemRatios(byPeriod.get(k))) : null));
  cemKpis(cemRatios(sumAll(all, CEM_SUMS)));
  const datasets = s.experience
    ? topGroups(groups, "replies").map((g, i) => line(g || "(none)", at(groups.get(g), (r) => r.nps), COLOURS[i % 8]))
    : [
      line("NPS + margin", at(all, (r) => (r.nps === null ? null : r.nps + r.margin)), "rgba(47,125,209,0.25)", { pointRadius: 0, borderWidth: 0 }),
      line("NPS − margin", at(all, (r) => (r.nps === null ? null : r.nps - r.margin)), "rgba(47,125,209,0.25)", { pointRadius: 0, borderWidth: 0, fill: "-1", backgroundColor: "rgba(47,125,209,0.15)" }),
      line("NPS", at(all, (r) => r.nps), "#1d4e89", { pointStyle: at(all, (r) => (r.tooFew ? "crossRot" : "circle")).map((p) => p || "circle"), pointRadius: 3 }),
    ];
  draw("chart-nps", {
    data: { labels: keys, datasets },
    options: { scales: { y: { suggestedMin: -20, suggestedMax: 60, title: { display: true, text: "NPS" } } },
      plugins: { legend: { labels: { filter: (item) => !item.text.includes("margin") } } } },
  });
  draw("chart-csat", {
    data: { labels: keys, datasets: [
      line("CSAT (% scoring 4–5)", at(all, (r) => r.csat), "#2a9d8f", { yAxisID: "csat" }),
      line("effort (1–7, 7 = easy)", at(all, (r) => r.effort), "#e07b39", { yAxisID: "effort" }),
    ] },
    options: { scales: { csat: { position: "left", min: 0, max: 100, ...axisPct },
      effort: { position: "right", min: 1, max: 7, grid: { drawOnChartArea: false } } } },
  });
}

function cemKpis(r) {
  const kpi = (label, value) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label));
  const nps = r.nps === null ? "–" : `${r.nps.toFixed(1)} ± ${r.margin.toFixed(1)}`;
  clear($("cem-kpis"),
    kpi(`NPS (n = ${fmt.int(r.n)}${r.tooFew ? ", too few" : ""})`, nps),
    kpi("CSAT", r.csat === null ? "–" : `${r.csat.toFixed(1)} %`),
    kpi("effort", r.effort === null ? "–" : r.effort.toFixed(2)),
    kpi("detractors followed up in 48 h", r.closedLoop === null ? "–" : `${r.closedLoop.toFixed(0)} %`),
  );
}

// --- insights --------------------------------------------------------------------------

const INSIGHTS = [
  ["handle_time_band", "chart-insight-handle", "handle time (minutes)", ["<3", "3-6", "6-10", ">10"]],
  ["repeat_contact", "chart-insight-repeat", "surveyed call", [false, true]],
  ["pressure_band", "chart-insight-pressure", "mailshots in the last 30 days", ["0", "1", "2", "3", "4", "5+"]],
];

async function showInsights(s) {
  const path = query("/metrics/insights", { from: s.from, to: s.to });
  queries.insights = path;
  const rows = (await fetchJson(path)).rows;
  for (const [dimension, id, title, order] of INSIGHTS) {
    const mine = order.map((value) => rows.find((r) => r.dimension === dimension && r.value === value) || { value, n: 0, nps: null, nps_margin: null });
    const label = (r) => `${dimension === "repeat_contact" ? (r.value ? "repeat" : "first contact") : r.value} (n=${r.n})`;
    draw(id, {
      type: "bar",
      data: { labels: mine.map(label), datasets: [
        { label: "NPS", data: mine.map((r) => r.nps), backgroundColor: mine.map((r) => (r.nps !== null && r.nps < 0 ? "#e07b39" : "#2f7dd1")), order: 2 },
        { type: "bar", label: "95 % margin", data: mine.map((r) => (r.nps === null ? null : [r.nps - r.nps_margin, r.nps + r.nps_margin])),
          backgroundColor: "rgba(31,39,51,0.18)", barPercentage: 0.12, grouped: false, order: 1 },
      ] },
      options: { plugins: { legend: { display: false }, title: { display: true, text: `NPS by ${title}` } },
        scales: { y: { suggestedMin: -40, suggestedMax: 60 } } },
    });
  }
}

// --- controls --------------------------------------------------------------------------

function fromUrl() {
  const params = new URLSearchParams(location.search);
  const form = $("controls");
  const today = isoDay(new Date());
  form.elements.to.value = params.get("to") || today;
  form.elements.from.value = params.get("from") || addDays(form.elements.to.value, -89);
  form.elements.per.value = params.get("per") || "week";
  for (const name of ["calls", "campaigns", "experience"]) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
}

async function refresh() {
  const s = settings();
  history.replaceState(null, "", `?${new URLSearchParams(s)}`);
  $("status").textContent = "loading…";
  document.body.dataset.ready = "false";
  try {
    await Promise.all([showCalls(s), showArrivals(s), showCampaigns(s), showPressure(s), showExperience(s), showInsights(s)]);
    $("notice").classList.add("hidden");
    $("status").textContent = `${s.from} to ${s.to}, per ${s.per}`;
  } catch (error) {
    $("notice").textContent = `Could not load the metrics: ${error.message}`;
    $("notice").classList.remove("hidden");
    $("status").textContent = "";
  }
  document.body.dataset.ready = "true";
}

async function main() {
  fromUrl();
  $("controls").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  for (const select of $("controls").querySelectorAll("select")) select.addEventListener("change", refresh);
  for (const button of document.querySelectorAll(".presets button")) {
    button.addEventListener("click", () => {
      const form = $("controls");
      form.elements.from.value = addDays(form.elements.to.value, 1 - Number(button.dataset.days));
      form.elements.per.value = Number(button.dataset.days) > 120 ? "month" : Number(button.dataset.days) > 45 ? "week" : "day";
      refresh();
    });
  }
  for (const button of document.querySelectorAll("[data-csv]")) {
    button.addEventListener("click", () => {
      const panel = button.dataset.csv;
      if (queries[panel]) downloadCsv(queries[panel], `${panel}.csv`).catch((error) => alert(error.message));
    });
  }
  // The key in use stays until a new one is entered: Escape on the dialog leaves a working page.
  $("change-key").addEventListener("click", async () => { if (await askForKey(ROLE)) refresh(); });
  await ensureKey(ROLE);
  await refresh();
}

main();
