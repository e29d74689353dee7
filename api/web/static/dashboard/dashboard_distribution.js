// Distribution of wait and handle times (issue 14 point 3): the median and the 80th, 90th
// and 95th percentiles and the longest, per queue over the range, in m:ss — means alone
// mislead on skewed times. One request per range: /metrics/cost/distribution?group_by=queue
// (the API's percentiles are whole seconds, nearest rank; percentiles of several queues
// cannot be added up, so the page shows the API's rows as they are).
import { clear, fmt, h } from "../common.js";

export const MEASURES = { wait: "wait (answered)", handle: "handle time", abandon_wait: "wait before abandoning" };
const ORDER = Object.keys(MEASURES);

export function distributionPath(ctx, query) {
  const path = query("/metrics/cost/distribution", { from: ctx.s.from, to: ctx.s.to, group_by: "queue" });
  return { fetch: path, csv: path };
}

// Rows with calls, by queue then measure (wait, handle, abandon_wait).
export function distributionRows(rows) {
  const key = (r) => [r.queue ?? "", ORDER.indexOf(r.measure)];
  return rows.filter((r) => r.calls > 0).sort((a, b) => {
    const [qa, ma] = key(a);
    const [qb, mb] = key(b);
    return qa === qb ? ma - mb : qa < qb ? -1 : 1;
  });
}

export function showDistribution(table, empty, report) {
  const rows = distributionRows(report.rows);
  const head = h("tr", {}, ["queue", "measure", "calls", "median", "p80", "p90", "p95", "longest"].map((t) => h("th", { scope: "col" }, t)));
  const body = rows.map((r) => h("tr", { "data-queue": r.queue ?? "", "data-measure": r.measure },
    h("th", { scope: "row" }, r.queue || "(none)"), h("td", {}, MEASURES[r.measure] ?? r.measure), h("td", {}, fmt.int(r.calls)),
    ["p50", "p80", "p90", "p95", "max"].map((p) => h("td", { "data-p": p }, fmt.minutes(r[p]))),
  ));
  clear(table, h("thead", {}, head), h("tbody", {}, body));
  empty.hidden = rows.length > 0;
}
