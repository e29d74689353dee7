// Arrivals by time of day and weekday (a heat map for staffing): calls offered per hour of
// wall-clock time in the centre's time zone, averaged over the days of each weekday in the
// range, from /metrics/cost?group_by=weekday,time_of_day&interval_minutes=60.
import { clear, fmt, h } from "../common.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

// How many times each ISO weekday (1 = Monday) occurs from `from` to `to` (ISO days).
export function weekdayCounts(from, to) {
  const counts = new Map(WEEKDAYS.map((_, i) => [i + 1, 0]));
  for (let day = new Date(`${from}T00:00:00Z`); day <= new Date(`${to}T00:00:00Z`); day.setUTCDate(day.getUTCDate() + 1)) {
    const iso = ((day.getUTCDay() + 6) % 7) + 1;
    counts.set(iso, counts.get(iso) + 1);
  }
  return counts;
}

// Rows of the report -> Map "weekday|HH:MM" -> mean calls offered per day of that weekday.
export function arrivalGrid(rows, counts) {
  const grid = new Map();
  for (const row of rows) {
    const days = counts.get(row.weekday) || 0;
    if (days > 0) grid.set(`${row.weekday}|${row.time_of_day}`, row.offered / days);
  }
  return grid;
}

function shade(value, top) {
  // Light to dark blue; an empty cell stays white so quiet hours read as quiet.
  if (!value) return "transparent";
  // At most 0.75: the text stays dark on every cell, with WCAG AA contrast.
  const alpha = 0.06 + 0.69 * (value / top);
  return `rgba(47,125,209,${alpha.toFixed(3)})`;
}

export function drawArrivals(table, rows, from, to) {
  const grid = arrivalGrid(rows, weekdayCounts(from, to));
  const hours = [...new Set(rows.map((r) => r.time_of_day))].sort();
  const top = Math.max(0, ...grid.values());
  const head = h("tr", {}, h("th", { scope: "col" }, "time"), WEEKDAYS.map((d) => h("th", { scope: "col" }, d)));
  const body = hours.map((time) => h("tr", {}, h("th", { scope: "row" }, time), WEEKDAYS.map((_, i) => {
    const value = grid.get(`${i + 1}|${time}`) || 0;
    const text = value ? fmt.int(Math.round(value)) : "";
    const cell = h("td", { title: `${WEEKDAYS[i]} ${time}: ${value.toFixed(1)} calls offered per day`, "data-value": value.toFixed(3) }, text);
    // Through the CSSOM, not a style attribute: allowed under any style-src policy.
    cell.style.background = shade(value, top);
    return cell;
  })));
  clear(table, h("thead", {}, head), h("tbody", {}, body));
  table.dataset.cells = String(grid.size);
}
