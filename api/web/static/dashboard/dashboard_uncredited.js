// Uncredited responses and conversions (METRICS.md, "CRM view"; issue 14 point 2): recorded
// in good faith but credited to no send — after the send's window closed, or to a send that
// bounced (phone: not reached) — as counts and conversion value by reason, per group of the
// campaign table, so nothing recorded disappears from view. From the same /metrics/crm rows.
import { clear, fmt, h } from "../common.js";

export const REASONS = { outside_window: "outside the window", bounced: "of a bounced send (phone: not reached)" };

// One line per group and reason with anything uncredited.
export function uncreditedLines(rows, name) {
  const lines = [];
  for (const row of rows) {
    for (const reason of Object.keys(REASONS)) {
      const responses = row[`uncredited_responses_${reason}`] ?? 0;
      const conversions = row[`uncredited_conversions_${reason}`] ?? 0;
      if (responses || conversions) lines.push({ group: name(row), reason, responses, conversions, value: row[`uncredited_value_${reason}`] });
    }
  }
  return lines;
}

export function showUncredited(table, by, lines) {
  const head = h("tr", {}, [by, "reason", "responses", "conversions", "conversion value"].map((t) => h("th", { scope: "col" }, t)));
  const body = lines.map((l) => h("tr", { "data-reason": l.reason },
    h("th", { scope: "row" }, l.group), h("td", {}, REASONS[l.reason]), h("td", {}, fmt.int(l.responses)),
    h("td", {}, fmt.int(l.conversions)), h("td", {}, fmt.money(l.value))));
  const none = lines.length ? [] : [h("tr", {}, h("td", { colspan: 5, class: "muted" }, "None: every response and conversion in this range was credited to a send"))];
  clear(table, h("thead", {}, head), h("tbody", {}, body, none));
}
