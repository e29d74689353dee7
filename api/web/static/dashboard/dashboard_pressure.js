// Conversion by contact pressure (METRICS.md, "CRM view"): response and conversion rates of
// sends and of customers by the recipient's contact pressure at the send (mailshots in the
// 30 days up to it, counting it: 1, 2, 3, 4, 5+), beside the cem view's NPS by the same
// bands — whether more contact sells more or only tires customers. One API call:
// /metrics/crm?group_by=pressure_band (rows with no band — hold-backs, campaigns never
// sent — are left out).
export const SEND_BANDS = ["1", "2", "3", "4", "5+"];

const TOO_FEW = "rgba(128,136,148,0.55)"; // grey: NPS of fewer than 30 replies
const pct = (v) => (v === null || v === undefined ? null : 100 * v);

// The chart's rows in band order (a band with no sends is an empty row).
export function byBand(rows) {
  return SEND_BANDS.map((band) => rows.find((r) => r.pressure_band === band) || { pressure_band: band, sent: 0, nps_replies: 0 });
}

export function pressureChart(rows) {
  const bands = byBand(rows);
  const bar = (label, key, colour) => ({ type: "bar", label, data: bands.map((r) => pct(r[key])), backgroundColor: colour, yAxisID: "rate" });
  return {
    data: {
      labels: bands.map((r) => `${r.pressure_band} (${r.sent ?? 0} sent, n=${r.nps_replies ?? 0})`),
      datasets: [
        bar("response rate (sends)", "response_rate", "#2f7dd1"),
        bar("conversion rate (sends)", "conversion_rate", "#2a9d8f"),
        bar("response rate (customers)", "customer_response_rate", "rgba(47,125,209,0.45)"),
        { type: "line", label: "NPS (grey: fewer than 30 replies)", data: bands.map((r) => r.nps ?? null), borderColor: "#c0392b", backgroundColor: "#c0392b",
          pointBackgroundColor: bands.map((r) => ((r.nps_replies ?? 0) < 30 ? TOO_FEW : "#c0392b")),
          pointBorderColor: bands.map((r) => ((r.nps_replies ?? 0) < 30 ? TOO_FEW : "#c0392b")),
          pointRadius: 4, borderWidth: 2, spanGaps: true, yAxisID: "nps" },
      ],
    },
    options: {
      plugins: { title: { display: true, text: "Rates and NPS by contact pressure at the send (mailshots in 30 days)" } },
      scales: {
        rate: { position: "left", beginAtZero: true, ticks: { callback: (v) => `${v} %` } },
        nps: { position: "right", min: -100, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "NPS" } },
      },
    },
  };
}
