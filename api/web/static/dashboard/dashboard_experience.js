// Experience: NPS with its margin of error (periods with fewer than 30 replies greyed),
// CSAT and effort, compared with the period before; with a breakdown, NPS of the largest
// groups and "others" over the whole range, with n. Insights: NPS by band, with n.
import { clear, fmt, h } from "../common.js";
import { draw, greyTooSmall, GREY, line, periodAxis, periodTooltip } from "./dashboard_charts.js";
import { cemRatios, CEM_SUMS, rollup, sumAll, topWithOthers, total } from "./dashboard_data.js";

const axisPct = { ticks: { callback: (v) => `${v} %` } };

export function experiencePath(ctx, query) {
  const groupBy = ["day", ctx.s.experience].filter(Boolean).join(",");
  return {
    fetch: query("/metrics/cem", { from: ctx.prev.from, to: ctx.s.to, group_by: groupBy }),
    csv: query("/metrics/cem", { from: ctx.s.from, to: ctx.s.to, group_by: groupBy }),
  };
}

export function showExperience(ctx, report) {
  const { s, keys, partial } = ctx;
  const groups = rollup(report.rows.filter((r) => r.day >= s.from), s.per, s.experience, CEM_SUMS);
  const before = total(rollup(report.rows.filter((r) => r.day < s.from), s.per, "", CEM_SUMS), CEM_SUMS);
  const all = total(groups, CEM_SUMS);
  const at = (f) => keys.map((k) => (all.get(k) ? f(cemRatios(all.get(k))) : null));
  cemKpis(ctx, cemRatios(sumAll(all, CEM_SUMS)), cemRatios(sumAll(before, CEM_SUMS)));
  if (s.experience) npsByGroup(topWithOthers(groups, "replies", CEM_SUMS, 5));
  else {
    const few = at((r) => r.tooFew);
    draw("chart-nps", {
      data: { labels: keys, datasets: [
        line("NPS + margin", at((r) => (r.nps === null ? null : r.nps + r.margin)), "rgba(47,125,209,0.25)", { pointRadius: 0, borderWidth: 0 }),
        line("NPS − margin", at((r) => (r.nps === null ? null : r.nps - r.margin)), "rgba(47,125,209,0.25)", { pointRadius: 0, borderWidth: 0, fill: "-1", backgroundColor: "rgba(47,125,209,0.15)" }),
        greyTooSmall(line("NPS (grey: fewer than 30 replies)", at((r) => r.nps), "#2f7dd1", { pointRadius: 3 }), few),
      ] },
      options: { scales: { x: periodAxis(s.per, partial), y: { suggestedMin: -20, suggestedMax: 60, title: { display: true, text: "NPS" } } },
        plugins: { tooltip: { callbacks: { ...periodTooltip(s.per, partial).callbacks,
          afterLabel: (i) => (i.datasetIndex === 2 ? `n = ${at((r) => r.n)[i.dataIndex]}` : "") } },
        legend: { labels: { filter: (item) => !item.text.includes("margin") } } } },
    });
  }
  draw("chart-csat", {
    data: { labels: keys, datasets: [
      line("CSAT (% scoring 4–5)", at((r) => r.csat), "#2a9d8f", { yAxisID: "csat" }),
      line("effort (1–7, 7 = easy)", at((r) => r.effort), "#e07b39", { yAxisID: "effort" }),
    ] },
    options: { scales: { x: periodAxis(s.per, partial), csat: { position: "left", min: 0, max: 100, ...axisPct },
      effort: { position: "right", min: 1, max: 7, grid: { drawOnChartArea: false } } }, plugins: { tooltip: periodTooltip(s.per, partial) } },
  });
}

function npsByGroup(shown) {
  const rows = [...shown].map(([g, byPeriod]) => [g || "(none)", cemRatios(sumAll(byPeriod, CEM_SUMS))]);
  draw("chart-nps", npsBars(rows.map(([g, r]) => ({ label: `${g} (n=${fmt.int(r.n)})`, n: r.n, nps: r.nps, margin: r.margin })),
    "NPS over the range (grey: fewer than 30 replies)"));
}

// Bars of NPS with 95 % whiskers; a bar of fewer than 30 replies is grey.
export function npsBars(items, title) {
  const colour = (r) => (r.n < 30 ? GREY : r.nps !== null && r.nps < 0 ? "#e07b39" : "#2f7dd1");
  return {
    type: "bar",
    data: { labels: items.map((r) => r.label), datasets: [
      { label: "NPS", data: items.map((r) => r.nps), backgroundColor: items.map(colour), order: 2 },
      { type: "bar", label: "95 % margin", data: items.map((r) => (r.nps === null ? null : [r.nps - r.margin, r.nps + r.margin])),
        backgroundColor: "rgba(128,136,148,0.35)", barPercentage: 0.12, grouped: false, order: 1 },
    ] },
    options: { plugins: { legend: { display: false }, title: { display: true, text: title } },
      scales: { y: { suggestedMin: -40, suggestedMax: 60 } } },
  };
}

function cemKpis(ctx, r, p) {
  const kpi = (label, value, delta) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label), delta && h("small", { class: "delta" }, delta));
  const signed = (v, digits) => `${v > 0 ? "+" : v < 0 ? "−" : "±"}${Math.abs(v).toFixed(digits)}`;
  const vs = (now, then, digits, unit = "") => (now === null || then === null ? "no previous period" : `${signed(now - then, digits)}${unit} vs previous`);
  const nps = r.nps === null ? "–" : `${r.nps.toFixed(1)} ± ${r.margin.toFixed(1)}`;
  clear(ctx.el("cem-kpis"),
    kpi(`NPS (n = ${fmt.int(r.n)}${r.tooFew ? ", too few" : ""})`, nps, vs(r.nps, p.n ? p.nps : null, 1)),
    kpi("CSAT", r.csat === null ? "–" : `${r.csat.toFixed(1)} %`, vs(r.csat, p.csat, 1, " pts")),
    kpi("effort", r.effort === null ? "–" : r.effort.toFixed(2), vs(r.effort, p.effort, 2)),
    kpi("detractors followed up in 48 h", r.closedLoop === null ? "–" : `${r.closedLoop.toFixed(0)} %`),
  );
}

const INSIGHTS = [
  ["handle_time_band", "chart-insight-handle", "handle time (minutes)", ["<3", "3-6", "6-10", ">10"]],
  ["repeat_contact", "chart-insight-repeat", "surveyed call", [false, true]],
  ["pressure_band", "chart-insight-pressure", "mailshots in the last 30 days", ["0", "1", "2", "3", "4", "5+"]],
];

export function showInsights(report) {
  for (const [dimension, id, title, order] of INSIGHTS) {
    const mine = order.map((value) => report.rows.find((r) => r.dimension === dimension && r.value === value) || { value, n: 0, nps: null, nps_margin: null });
    const name = (r) => (dimension === "repeat_contact" ? (r.value ? "repeat" : "first contact") : r.value);
    draw(id, npsBars(mine.map((r) => ({ label: `${name(r)} (n=${r.n})`, n: r.n, nps: r.nps, margin: r.nps_margin })), `NPS by ${title}`));
  }
}
