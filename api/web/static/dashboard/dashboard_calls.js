// Calls: volumes and service level against its target, speed of answer and handle time
// (m:ss everywhere), abandonment; with a breakdown, the largest groups and "others" as
// bars over the whole range (n: calls), never one line per group. One request: the range
// and the period before it (for the comparison), per day.
import { clear, fmt, h } from "../common.js";
import {
  COLOURS, draw, GREY, line, minutesAxis, minutesTooltip, periodAxis, periodTooltip, targetLine,
} from "./dashboard_charts.js";
import { costRatios, COST_SUMS, periods, rollup, sumAll, topWithOthers, total } from "./dashboard_data.js";

const pct = (fraction) => (fraction === null ? null : 100 * fraction);
const axisPct = { ticks: { callback: (v) => `${v} %` } };
const TOO_FEW_CALLS = 30; // fewer calls than this: a rate too noisy to compare, greyed

export function callsPath(ctx, query) {
  const groupBy = ["day", ctx.s.calls].filter(Boolean).join(",");
  return {
    fetch: query("/metrics/cost", { from: ctx.prev.from, to: ctx.s.to, group_by: groupBy }),
    csv: query("/metrics/cost", { from: ctx.s.from, to: ctx.s.to, group_by: groupBy }),
  };
}

export function showCalls(ctx, report) {
  const { s, keys } = ctx;
  const current = report.rows.filter((r) => r.day >= s.from);
  const previous = report.rows.filter((r) => r.day < s.from);
  const groups = rollup(current, s.per, s.calls, COST_SUMS);
  const all = total(groups, COST_SUMS);
  const before = total(rollup(previous, s.per, "", COST_SUMS), COST_SUMS);
  callKpis(ctx, sumAll(all, COST_SUMS), sumAll(before, COST_SUMS));
  volumes(ctx, groups, all, before);
  if (s.calls) {
    byGroup(ctx, topWithOthers(groups, "offered", COST_SUMS, 5));
    return;
  }
  const at = (f) => keys.map((k) => (all.get(k) ? f(costRatios(all.get(k))) : null));
  draw("chart-speed", {
    data: { labels: keys, datasets: [line("AHT", at((r) => r.aht), COLOURS[0], { yAxisID: "y" }),
      line("ASA", at((r) => r.asa), COLOURS[1], { borderDash: [5, 4], yAxisID: "y" })] },
    options: { scales: { x: periodAxis(s.per, ctx.partial), y: minutesAxis("m:ss", { beginAtZero: true }) },
      plugins: { tooltip: { callbacks: { ...periodTooltip(s.per, ctx.partial).callbacks, ...minutesTooltip } } } },
  });
  draw("chart-abandonment", {
    data: { labels: keys, datasets: [line("abandonment rate", at((r) => pct(r.abandonment)), "#e07b39")] },
    options: { scales: { x: periodAxis(s.per, ctx.partial), y: { min: 0, ...axisPct } }, plugins: { tooltip: periodTooltip(s.per, ctx.partial) } },
  });
}

function volumes(ctx, groups, all, before) {
  const { s, keys, partial } = ctx;
  const at = (byPeriod, f) => keys.map((k) => (byPeriod?.get(k) ? f(byPeriod.get(k)) : null));
  const shown = s.calls ? topWithOthers(groups, "offered", COST_SUMS, 5) : null;
  const offered = (byPeriod) => [...byPeriod.values()].reduce((n, x) => n + x.offered, 0);
  const bars = shown
    ? [...shown].map(([g, byPeriod], i) => ({ type: "bar", label: `${g || "(none)"} (n=${fmt.int(offered(byPeriod))})`,
      data: at(byPeriod, (x) => x.offered), backgroundColor: COLOURS[i % 8], stack: "calls", yAxisID: "y" }))
    : [
      { type: "bar", label: "answered", data: at(all, (x) => x.answered), backgroundColor: "#2f7dd1", stack: "calls", yAxisID: "y" },
      { type: "bar", label: "abandoned", data: at(all, (x) => x.abandoned), backgroundColor: "#e07b39", stack: "calls", yAxisID: "y" },
    ];
  const previousKeys = periods(ctx.prev.from, ctx.prev.to, s.per);
  const earlier = keys.map((_, i) => before.get(previousKeys[i])?.offered ?? null);
  const target = 100 * ctx.display.service_level_target;
  draw("chart-volumes", {
    data: { labels: keys, datasets: [...bars,
      line("service level", at(all, (x) => pct(costRatios(x).serviceLevel)), "#1f8a4c", { yAxisID: "sl" }),
      targetLine(`service-level target ${target.toFixed(0)} %`, target, keys.length, "sl"),
      { ...line("offered, previous period", earlier, GREY, { borderDash: [2, 3], pointRadius: 0, yAxisID: "y" }), reference: true }] },
    options: { scales: { y: { stacked: true, title: { display: true, text: "calls offered" } }, x: periodAxis(s.per, partial, { stacked: true }),
      sl: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, ...axisPct } },
    plugins: { tooltip: periodTooltip(s.per, partial) } },
  });
}

// Breakdown: the largest groups and "others", over the whole range, as bars with their n.
function byGroup(ctx, shown) {
  const entries = [...shown].map(([g, byPeriod]) => [g || "(none)", sumAll(byPeriod, COST_SUMS)]);
  const labels = entries.map(([g, sums]) => `${g} (n=${fmt.int(sums.offered)})`);
  const few = entries.map(([, sums]) => sums.offered < TOO_FEW_CALLS);
  const colour = (c) => few.map((f) => (f ? GREY : c));
  const ratios = entries.map(([, sums]) => costRatios(sums));
  draw("chart-speed", {
    type: "bar",
    data: { labels, datasets: [
      { label: "AHT", data: ratios.map((r) => r.aht), backgroundColor: colour(COLOURS[0]) },
      { label: "ASA", data: ratios.map((r) => r.asa), backgroundColor: colour(COLOURS[1]) },
    ] },
    options: { indexAxis: "y", scales: { x: minutesAxis("m:ss over the range", { beginAtZero: true }) },
      plugins: { tooltip: { callbacks: { label: (i) => `${i.dataset.label}: ${fmt.minutes(i.parsed.x)}` } } } },
  });
  draw("chart-abandonment", {
    type: "bar",
    data: { labels, datasets: [{ label: "abandonment rate", data: ratios.map((r) => pct(r.abandonment)), backgroundColor: colour("#e07b39") }] },
    options: { indexAxis: "y", scales: { x: { min: 0, ...axisPct } }, plugins: { legend: { display: false } } },
  });
}

function callKpis(ctx, sums, before) {
  const r = costRatios(sums);
  const p = costRatios(before);
  const t = ctx.display;
  const kpi = (label, value, delta) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label), delta && h("small", { class: "delta" }, delta));
  const vs = (now, then, show) => (now === null || then === null ? "no previous period" : `${show(now - then)} vs previous`);
  const signed = (f) => (v) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${f(Math.abs(v))}`;
  const pts = signed((v) => `${(100 * v).toFixed(1)} pts`);
  clear(ctx.el("call-kpis"),
    kpi("offered", fmt.int(sums.offered), vs(sums.offered, before.offered || null, signed(fmt.int))),
    kpi("answered", fmt.int(sums.answered)),
    kpi(`service level (${t.service_level_seconds} s; target ${(100 * t.service_level_target).toFixed(0)} %)`, fmt.pct(r.serviceLevel), vs(r.serviceLevel, p.serviceLevel, pts)),
    kpi("ASA", fmt.minutes(r.asa), vs(r.asa, p.asa, signed(fmt.minutes))),
    kpi("AHT", fmt.minutes(r.aht), vs(r.aht, p.aht, signed(fmt.minutes))),
    kpi("abandonment", fmt.pct(r.abandonment), vs(r.abandonment, p.abandonment, pts)),
    kpi("first-contact resolution", fmt.pct(r.fcr)),
  );
}
