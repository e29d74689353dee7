// Dashboard arithmetic: daily rows of the metric API added up per week or month, and the
// ratios recomputed from the sums exactly as METRICS.md defines them (a ratio of sums,
// never an average of daily ratios).

export const COST_SUMS = [
  "offered", "answered", "abandoned", "short_abandons", "answered_wait_seconds", "handled_seconds",
  "service_level_hits", "transferred", "fcr_resolved", "fcr_repeated", "fcr_pending",
];
export const CEM_SUMS = [
  "replies", "promoters", "passives", "detractors", "csat_replies", "csat_top2",
  "effort_replies", "effort_sum", "open", "closed", "expired",
];

const DAY_MS = 86400000;
const ratio = (numerator, denominator) => (denominator ? numerator / denominator : null);

export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function addDays(iso, days) {
  return isoDay(new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS));
}

// The period a day belongs to: the day, the Monday of its week, or its month.
export function periodOf(iso, per) {
  if (per === "month") return iso.slice(0, 7);
  if (per === "week") {
    const weekday = (new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7;
    return addDays(iso, -weekday);
  }
  return iso;
}

// Every period from `from` to `to`, in order (so quiet periods show as gaps, not jumps).
export function periods(from, to, per) {
  const keys = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    const key = periodOf(day, per);
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  return keys;
}

// rows -> Map(group -> Map(period -> summed fields)); group "" when there is no breakdown.
export function rollup(rows, per, breakdown, fields) {
  const groups = new Map();
  for (const row of rows) {
    const group = breakdown ? String(row[breakdown] ?? "") : "";
    const period = periodOf(row.day, per);
    if (!groups.has(group)) groups.set(group, new Map());
    const byPeriod = groups.get(group);
    const sums = byPeriod.get(period) || Object.fromEntries(fields.map((f) => [f, 0]));
    for (const field of fields) sums[field] += Number(row[field] || 0);
    byPeriod.set(period, sums);
  }
  return groups;
}

// Sum of every group's sums for each period (the "all" line when broken down).
export function total(groups, fields) {
  const out = new Map();
  for (const byPeriod of groups.values()) {
    for (const [period, sums] of byPeriod) {
      const into = out.get(period) || Object.fromEntries(fields.map((f) => [f, 0]));
      for (const field of fields) into[field] += sums[field];
      out.set(period, into);
    }
  }
  return out;
}

export function sumAll(byPeriod, fields) {
  const into = Object.fromEntries(fields.map((f) => [f, 0]));
  for (const sums of byPeriod.values()) for (const field of fields) into[field] += sums[field];
  return into;
}

// The largest groups by `measure`, at most `limit` (the rest would crowd a chart).
export function topGroups(groups, measure, limit = 8) {
  const size = (byPeriod) => [...byPeriod.values()].reduce((acc, sums) => acc + sums[measure], 0);
  return [...groups.entries()].sort((a, b) => size(b[1]) - size(a[1])).slice(0, limit).map(([g]) => g);
}

// METRICS.md, cost view: ASA, AHT, service level, abandonment (short abandons excluded), FCR.
export function costRatios(s) {
  const counted = s.offered - s.short_abandons;
  return {
    asa: ratio(s.answered_wait_seconds, s.answered),
    aht: ratio(s.handled_seconds, s.answered),
    serviceLevel: ratio(s.service_level_hits, counted),
    abandonment: ratio(s.abandoned - s.short_abandons, counted),
    fcr: ratio(s.fcr_resolved, s.fcr_resolved + s.fcr_repeated),
  };
}

// METRICS.md, CEM view: NPS, its 95 % margin of error, CSAT (top two box), effort, closed loop.
export function cemRatios(s) {
  const n = s.promoters + s.passives + s.detractors;
  let nps = null;
  let margin = null;
  if (n) {
    const p = s.promoters / n;
    const d = s.detractors / n;
    nps = 100 * (p - d);
    margin = 1.96 * 100 * Math.sqrt((p + d - (p - d) ** 2) / n);
  }
  return {
    n, nps, margin, tooFew: n < 30,
    csat: s.csat_replies ? (100 * s.csat_top2) / s.csat_replies : null,
    effort: ratio(s.effort_sum, s.effort_replies),
    closedLoop: s.closed + s.expired ? (100 * s.closed) / (s.closed + s.expired) : null,
  };
}

// The default range: whole periods only, ending with the last one complete before `today`
// (ISO day in the centre's zone): 13 weeks (Mon–Sun), 30 days, or 12 calendar months.
export function completeRange(today, per, count) {
  if (per === "month") {
    const to = addDays(`${today.slice(0, 7)}-01`, -1);
    const first = new Date(`${to.slice(0, 7)}-01T00:00:00Z`);
    first.setUTCMonth(first.getUTCMonth() - (count - 1));
    return { from: isoDay(first), to };
  }
  if (per === "week") {
    const to = addDays(periodOf(today, "week"), -1); // the Sunday before this week
    return { from: addDays(to, 1 - 7 * count), to };
  }
  const to = addDays(today, -1);
  return { from: addDays(to, 1 - count), to };
}

// Periods of `keys` not wholly inside from..to, or not over before `today`: partial.
export function partialPeriods(keys, from, to, per, today) {
  const partial = new Set();
  for (const key of keys) {
    const first = per === "day" ? key : per === "week" ? key : `${key}-01`;
    const last = per === "day" ? key : per === "week" ? addDays(key, 6) : lastOfMonth(key);
    if (first < from || last > to || last >= today) partial.add(key);
  }
  return partial;
}

function lastOfMonth(month) {
  const next = new Date(`${month}-01T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return addDays(isoDay(next), -1);
}

// The range of the same length just before from..to (the comparison period).
export function previousRange(from, to) {
  const days = Math.round((Date.parse(to) - Date.parse(from)) / DAY_MS) + 1;
  return { from: addDays(from, -days), to: addDays(from, -1) };
}

// The `limit` largest groups by `measure`, and the rest summed as "others" (a chart of
// many groups is a tangle; the small ones are still counted, not dropped).
export const OTHERS = "others";
export function topWithOthers(groups, measure, fields, limit = 4) {
  const shown = topGroups(groups, measure, limit);
  const rest = new Map([...groups].filter(([g]) => !shown.includes(g)));
  const out = new Map(shown.map((g) => [g, groups.get(g)]));
  if (rest.size) out.set(OTHERS, total(rest, fields));
  return out;
}
