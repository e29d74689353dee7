// Drawing the dashboard's charts: colours from the page's style (light or dark, as the
// system says), a "no data for this range" state, period labels in the centre's locale,
// partial periods marked, m:ss for times, and the greying of samples too small to trust.
/* global Chart */
import { fmt } from "../common.js";

export const COLOURS = ["#2f7dd1", "#e07b39", "#2a9d8f", "#c0392b", "#7a5bd1", "#b7791f", "#d14d83", "#5f6b7a"];
export const GREY = "rgba(128,136,148,0.55)";
const charts = new Map();
const drawn = new Map(); // id -> config, to draw again when the colour scheme changes

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

// Text and grid colours of Chart.js follow the page's (light or dark) palette.
export function applyTheme() {
  Chart.defaults.color = css("--muted") || "#5f6b7a";
  Chart.defaults.borderColor = css("--line") || "#dfe3ea";
}

export function setUpCharts() {
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  applyTheme();
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    applyTheme();
    for (const [id, config] of drawn) draw(id, config);
  });
}

// Draws chart `id`; with nothing to plot, says so over empty axes instead.
export function draw(id, config) {
  charts.get(id)?.destroy();
  const canvas = document.getElementById(id);
  drawn.set(id, config);
  charts.set(id, new Chart(canvas, config));
  // For tests and curious readers: how many numbers the chart plots.
  const points = config.data.datasets.filter((d) => !d.reference).flatMap((d) => d.data)
    .filter((v) => v !== null && v !== undefined && !Number.isNaN(v));
  canvas.dataset.points = String(points.length);
  emptyState(canvas, points.length === 0);
}

function emptyState(canvas, empty) {
  const box = canvas.parentElement;
  let note = box.querySelector(".empty-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "empty-note";
    note.textContent = "No data for this range";
    box.append(note);
  }
  note.hidden = !empty;
  box.classList.toggle("is-empty", empty);
}

// A period key (day, Monday of a week, month) in the centre's words; "*" when partial.
export function periodLabel(key, per, partial) {
  const text = per === "month" ? fmt.day(`${key}-01`, { month: "short", year: "numeric" })
    : per === "week" ? `w/c ${fmt.day(key, { day: "numeric", month: "short" })}`
      : fmt.day(key, { day: "numeric", month: "short" });
  return partial?.has(key) ? `${text}*` : text;
}

// x-axis and tooltip titles from the ISO keys in `data.labels` (tests read those).
export function periodAxis(per, partial, extra = {}) {
  return {
    ticks: { callback(value) { return periodLabel(this.getLabelForValue(value), per, partial); } },
    ...extra,
  };
}

export function periodTooltip(per, partial) {
  return { callbacks: { title: (items) => items.map((i) => {
    const label = periodLabel(i.label, per, partial);
    return partial?.has(i.label) ? `${label} (partial period)` : label;
  }) } };
}

export const minutesAxis = (title, extra = {}) => ({
  // Whole minutes between ticks from 2 minutes up (not 50-second steps), else Chart.js's own.
  ticks: { callback: (v) => fmt.minutes(v) }, afterBuildTicks: minuteTicks, title: { display: true, text: title }, ...extra,
});

function minuteTicks(scale) {
  if (scale.max - scale.min < 120) return;
  const step = 60 * Math.max(1, Math.ceil((scale.max - scale.min) / 60 / 8));
  const ticks = [];
  for (let v = Math.ceil(scale.min / step) * step; v <= scale.max; v += step) ticks.push({ value: v });
  scale.ticks = ticks;
}

// Tooltip line for times: "billing AHT: 5:02".
export const minutesTooltip = { label: (item) => `${item.dataset.label}: ${fmt.minutes(item.parsed.y)}` };

export const line = (label, data, colour, extra = {}) => ({
  type: "line", label, data, borderColor: colour, backgroundColor: colour, pointRadius: 2, borderWidth: 2, spanGaps: true, ...extra,
});

// A flat dashed reference line (a target): not counted as data.
export const targetLine = (label, value, count, yAxisID) => ({
  type: "line", label, data: Array(count).fill(value), borderColor: "#1f8a4c", borderDash: [6, 4],
  borderWidth: 1.5, pointRadius: 0, yAxisID, reference: true,
});

// Points of periods with too few replies greyed, and the line into them dashed.
export function greyTooSmall(dataset, tooFew) {
  const colour = dataset.borderColor;
  return {
    ...dataset,
    pointBackgroundColor: tooFew.map((few) => (few ? GREY : colour)),
    pointBorderColor: tooFew.map((few) => (few ? GREY : colour)),
    segment: { borderColor: (ctx) => (tooFew[ctx.p1DataIndex] ? GREY : colour), borderDash: (ctx) => (tooFew[ctx.p1DataIndex] ? [3, 3] : undefined) },
  };
}
