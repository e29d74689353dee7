// Analyst dashboard: the metric API (/metrics/...) as charts, with a date range, a period
// (day, week, month) and a breakdown per section; each chart's rows download as CSV.
// Whole periods by default (the range ends with the last complete week); dates, numbers
// and money in the centre's locale and currency (GET /display, once). Each panel asks the
// API once per range and breakdown and keeps the answer: a change of filters sends at most
// one request per panel, and none for a change of period (the days are added up here).
import { api, ApiError, askForKey, clear, configure, downloadCsv, ensureKey, fmt, forgetKey, h } from "../common.js";
import { callsPath, showCalls } from "./dashboard_calls.js";
import { COLOURS, draw, periodLabel, setUpCharts } from "./dashboard_charts.js";
import { completeRange, partialPeriods, periods, previousRange } from "./dashboard_data.js";
import { experiencePath, showExperience, showInsights } from "./dashboard_experience.js";
import { distributionPath, showDistribution } from "./dashboard_distribution.js";
import { drawArrivals } from "./dashboard_heatmap.js";
import { pressureChart } from "./dashboard_pressure.js";
import { showUncredited, uncreditedLines } from "./dashboard_uncredited.js";

const ROLE = "analyst";
const $ = (id) => document.getElementById(id);
const answers = new Map(); // API path -> {answer: promise of its JSON, at: when asked}
const queries = {}; // panel -> API path of what it shows (for its CSV)
let display = null; // the centre's settings (GET /display)
let generation = 0; // refreshes started; an older one's answers are not drawn

function settings() {
  return Object.fromEntries(new FormData($("controls")).entries());
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
      answers.clear();
      return fetchJson(path);
    }
    throw error;
  }
}

// One request per path for a few minutes (a page kept open all day still shows new facts;
// a refused request is asked again next time).
const FRESH_MS = 5 * 60 * 1000;
function fetchOnce(path) {
  const kept = answers.get(path);
  if (kept && Date.now() - kept.at < FRESH_MS) return kept.answer;
  const answer = fetchJson(path);
  answers.set(path, { answer, at: Date.now() });
  answer.catch(() => answers.delete(path));
  return answer;
}

// Today in the centre's time zone (an ISO day), not the browser's.
function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: display.timezone }).format(new Date());
}

// --- panels ------------------------------------------------------------------------------

const PANELS = [
  { name: "calls", csv: ["volumes", "speed", "abandonment"], path: callsPath, show: showCalls },
  { name: "distribution", csv: ["distribution"], path: distributionPath, show: (ctx, r) => showDistribution($("distribution-table"), $("distribution-empty"), r) },
  { name: "arrivals", csv: ["arrivals"], path: (ctx) => simple(query("/metrics/cost", { ...range(ctx), group_by: "weekday,time_of_day", interval_minutes: 60 })), show: showArrivals },
  { name: "campaigns", csv: ["funnel", "cpa"], path: (ctx) => simple(query("/metrics/crm", { ...range(ctx), group_by: ctx.s.campaigns })), show: showCampaigns },
  { name: "pressure", csv: ["pressure"], path: (ctx) => simple(query("/metrics/crm", { ...range(ctx), group_by: "pressure_band" })), show: (ctx, r) => draw("chart-pressure", pressureChart(r.rows)) },
  { name: "experience", csv: ["nps", "csat"], path: experiencePath, show: showExperience },
  { name: "insights", csv: ["insights"], path: (ctx) => simple(query("/metrics/insights", range(ctx))), show: (ctx, r) => showInsights(r) },
];

const range = (ctx) => ({ from: ctx.s.from, to: ctx.s.to });
const simple = (path) => ({ fetch: path, csv: path });

function showArrivals(ctx, report) {
  drawArrivals($("arrivals-heatmap"), report.rows, ctx.s.from, ctx.s.to);
  $("arrivals-empty").hidden = report.rows.some((r) => r.offered > 0);
}

function showCampaigns(ctx, report) {
  const by = ctx.s.campaigns;
  const rows = report.rows.filter((row) => row.sent > 0).sort((a, b) => b.sent - a.sent);
  const name = (row) => (by === "channel" && row.channel === "phone" ? "phone (telemarketing)" : String(row[by] ?? "(none)"));
  const stages = ["sent", "delivered", "responses", "conversions"];
  const top = rows.slice(0, 5).map((row) => ({ label: `${name(row)} (n=${fmt.int(row.sent)})`, values: stages.map((k) => row[k]) }));
  const rest = rows.slice(5);
  if (rest.length) top.push({ label: `others (${rest.length}, n=${fmt.int(rest.reduce((n, r) => n + r.sent, 0))})`, values: stages.map((k) => rest.reduce((n, r) => n + r[k], 0)) });
  draw("chart-funnel", {
    type: "bar",
    data: { labels: ["sent", "delivered", "responded", "converted"], datasets: top.map((g, i) => ({ label: g.label, data: g.values, backgroundColor: COLOURS[i % 8] })) },
    options: { scales: { y: { type: "logarithmic", title: { display: true, text: "recipients (log scale)" } } } },
  });
  const shown = rows.slice(0, 12);
  draw("chart-cpa", {
    type: "bar",
    data: { labels: shown.map(name), datasets: [{ label: `cost per acquisition (${fmt.currencySymbol()})`, data: shown.map((r) => (r.cost_per_acquisition === null ? null : Number(r.cost_per_acquisition))), backgroundColor: "#7a5bd1" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false }, tooltip: { callbacks: { label: (i) => fmt.money(i.parsed.x) } } },
      scales: { x: { ticks: { callback: (v) => fmt.money(v) }, title: { display: true, text: `${display.currency} per conversion` } } } },
  });
  campaignTable(shown, name, by);
  showUncredited($("uncredited-table"), by, uncreditedLines(report.rows, name));
}

function campaignTable(rows, name, by) {
  const lift = (row) => (row.response_lift_pp === null ? "–" : `${row.response_lift_pp.toFixed(2)} ± ${row.response_lift_margin_pp.toFixed(2)} pp`);
  const head = h("tr", {}, [by, "sent", "delivered", "response rate", "conversion rate", "customers reached", "customers responding", "customers converting", "cost", "CPA", "revenue", "ROI", "response lift vs control", "opt-out rate"].map((t) => h("th", { scope: "col" }, t)));
  const body = rows.map((row) => h("tr", {},
    h("td", {}, name(row)), h("td", {}, fmt.int(row.sent)), h("td", {}, fmt.int(row.delivered)),
    h("td", {}, fmt.pct(row.response_rate, 2)), h("td", {}, fmt.pct(row.conversion_rate, 2)),
    h("td", {}, fmt.int(row.reached_customers)),
    h("td", { title: `${fmt.int(row.responding_customers)} of ${fmt.int(row.reached_customers)} reached` }, fmt.pct(row.customer_response_rate, 2)),
    h("td", { title: `${fmt.int(row.converting_customers)} of ${fmt.int(row.reached_customers)} reached` }, fmt.pct(row.customer_conversion_rate, 2)),
    h("td", {}, fmt.money(row.cost)), h("td", {}, fmt.money(row.cost_per_acquisition)), h("td", {}, fmt.money(row.revenue)),
    h("td", {}, row.roi === null ? "–" : fmt.pct(row.roi, 0)), h("td", {}, lift(row)), h("td", {}, fmt.pct(row.opt_out_rate, 2)),
  ));
  const empty = rows.length ? [] : [h("tr", {}, h("td", { colspan: 14, class: "muted" }, "No data for this range"))];
  clear($("campaign-table"), h("thead", {}, head), h("tbody", {}, body, empty));
}

// --- refresh -------------------------------------------------------------------------------

function context(s) {
  const keys = periods(s.from, s.to, s.per);
  const now = today();
  return { s, keys, today: now, partial: partialPeriods(keys, s.from, s.to, s.per, now), prev: previousRange(s.from, s.to), display, el: $ };
}

async function refresh() {
  const s = settings();
  if (!s.from || !s.to || s.from > s.to) return notice("The range needs a first day on or before its last day.");
  history.replaceState(null, "", `?${new URLSearchParams(s)}`);
  const mine = ++generation;
  const ctx = context(s);
  $("status").textContent = "loading…";
  document.body.dataset.ready = "false";
  const paths = PANELS.map((panel) => panel.path(ctx, query));
  PANELS.forEach((panel, i) => { for (const csv of panel.csv) queries[csv] = paths[i].csv; });
  try {
    const reports = await Promise.all(paths.map((p) => fetchOnce(p.fetch)));
    if (mine !== generation) return; // a newer change is on its way
    PANELS.forEach((panel, i) => panel.show(ctx, reports[i]));
    $("notice").classList.add("hidden");
    status(ctx);
  } catch (error) {
    if (mine !== generation) return;
    notice(`Could not load the metrics: ${error.message}`);
    $("status").textContent = "";
  }
  document.body.dataset.ready = "true";
}

function status(ctx) {
  const { s } = ctx;
  const partial = ctx.partial.size ? ` · * partial ${s.per}` : "";
  $("status").textContent = `${fmt.day(s.from)} – ${fmt.day(s.to)}, per ${s.per}${partial} · as of ${fmt.time(new Date().toISOString())}`;
  $("partial-note").hidden = ctx.partial.size === 0;
  $("partial-note").textContent = `Partial ${s.per === "day" ? "days" : `${s.per}s`} (not all their days in the range, or not over yet): ${[...ctx.partial].map((k) => periodLabel(k, s.per)).join(", ")}.`;
}

function notice(text) {
  $("notice").textContent = text;
  $("notice").classList.remove("hidden");
}

// --- controls --------------------------------------------------------------------------

const PRESETS = { 30: ["day", 30], 13: ["week", 13], 12: ["month", 12] };

function preset(name) {
  const [per, count] = PRESETS[name];
  const form = $("controls");
  Object.assign(form.elements.per, { value: per });
  const { from, to } = completeRange(today(), per, count);
  form.elements.from.value = from;
  form.elements.to.value = to;
}

function fromUrl() {
  const params = new URLSearchParams(location.search);
  const form = $("controls");
  preset("13"); // by default: the last 13 complete weeks
  for (const name of ["from", "to", "per", "calls", "campaigns", "experience"]) {
    if (params.has(name)) form.elements[name].value = params.get(name);
  }
}

function listen() {
  // "Show" asks again (the latest facts); the other controls reuse answers still fresh.
  $("controls").addEventListener("submit", (event) => { event.preventDefault(); answers.clear(); refresh(); });
  for (const select of $("controls").querySelectorAll("select")) select.addEventListener("change", refresh);
  for (const button of document.querySelectorAll(".presets button")) {
    button.addEventListener("click", () => { preset(button.dataset.preset); refresh(); });
  }
  for (const button of document.querySelectorAll("[data-csv]")) {
    button.addEventListener("click", () => {
      const panel = button.dataset.csv;
      if (queries[panel]) downloadCsv(queries[panel], `${panel}.csv`).catch((error) => notice(error.message));
    });
  }
  // The key in use stays until a new one is entered: Escape on the dialog leaves a working page.
  $("change-key").addEventListener("click", async () => { if (await askForKey(ROLE)) { answers.clear(); refresh(); } });
}

async function main() {
  setUpCharts();
  listen();
  await ensureKey(ROLE);
  display = await fetchJson("/display");
  configure(display);
  document.documentElement.lang = display.locale;
  fromUrl();
  await refresh();
}

main().catch((error) => { notice(`Could not start: ${error.message}`); document.body.dataset.ready = "true"; });
