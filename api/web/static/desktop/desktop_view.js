// The single customer view on the desktop: profile, signals, why they may be calling,
// consent, counts and the history (timeline). Words are an agent's: no log positions,
// no class names of facts, campaigns by name, every time with its zone.
import { clear, fmt, h } from "../common.js";

const $ = (id) => document.getElementById(id);
const CHANNELS = { phone: "Call", email: "E-mail", sms: "SMS", post: "Letter", survey: "Survey" };
const ICONS = { phone: "☎", email: "@", sms: "SMS", post: "✉", survey: "★" };

// <time> saying "3 days ago", the full time with its zone on hover and for screen readers.
export function ago(iso) {
  return h("time", { datetime: iso, title: fmt.when(iso), "aria-label": fmt.when(iso) }, fmt.ago(iso));
}

function plural(count, word) {
  return `${fmt.int(count)} ${word}${count === 1 ? "" : "s"}`;
}

export function renderCustomer(profile, { jump }) {
  renderProfile(profile);
  renderSignals(profile);
  renderWhy(profile.why_calling, jump);
  renderConsent(profile.consent);
  renderCounts(profile);
}

function renderProfile(p) {
  const personal = (value) => (p.personal_data === "erased" ? "erased" : value || "–");
  const flags = [
    p.open_detractor && h("span", { class: "badge bad" }, "Detractor awaiting follow-up"),
    p.repeat_contact && h("span", { class: "badge warn" }, "Repeat contact"),
    p.over_pressure_cap && h("span", { class: "badge bad" }, "Over contact cap"),
    !p.registered && h("span", { class: "badge warn" }, "Not registered"),
  ];
  clear($("profile"),
    h("h2", { class: "profile-name", "data-testid": "customer-name" }, personal(p.name)),
    h("div", { class: "profile-ref" }, p.customer_ref),
    h("dl", { class: "details" },
      h("dt", {}, "Segment"), h("dd", {}, p.segment || "–"),
      h("dt", {}, "Customer since"), h("dd", {}, p.registered_at ? fmt.date(p.registered_at) : "–"),
      h("dt", {}, "E-mail"), h("dd", {}, personal(p.email)),
      h("dt", {}, "Phone"), h("dd", {}, personal(p.phone)),
      h("dt", {}, "Last contact"), h("dd", {}, p.last_contact ? ago(p.last_contact) : "–"),
    ),
    h("div", { class: "flags" }, flags),
  );
}

function renderSignals(p) {
  const nps = p.latest_nps;
  const share = Math.min(1, p.mailshots_last_30_days / Math.max(1, p.pressure_cap));
  const bar = h("div");
  bar.style.width = `${100 * share}%`;  // a property, not a style attribute: fine under a strict CSP
  clear($("signals"),
    h("div", { class: "signals" },
      h("div", {},
        h("h2", {}, "Latest NPS"),
        nps
          ? [h("div", { class: `nps ${nps.category}`, "data-testid": "latest-nps" }, nps.score),
             h("div", { class: "small muted" }, `${nps.category}, `, ago(nps.occurred_at))]
          : h("div", { class: "muted", "data-testid": "latest-nps" }, "no score yet"),
      ),
      h("div", {},
        h("h2", {}, "Contact pressure"),
        h("div", { "data-testid": "pressure" }, `${plural(p.mailshots_last_30_days, "mailshot")} in 30 days`),
        h("div", { class: `meter ${p.over_pressure_cap ? "over" : ""}`, role: "img",
          "aria-label": `${p.mailshots_last_30_days} of a cap of ${p.pressure_cap}` }, bar),
        h("div", { class: "small muted" }, `cap ${p.pressure_cap}; ${plural(p.calls_in_repeat_window, "call")} in ${p.repeat_window_days} days`),
      ),
    ),
  );
}

// A reason: {because, sentence, interaction|null}; older APIs sent no sentence.
function renderWhy(reasons, jump) {
  const items = reasons.map((reason) => {
    const item = reason.interaction;
    const text = reason.sentence || fallbackSentence(reason);
    const link = item
      ? h("a", { href: `#item-${item.position}`, onclick: (event) => { event.preventDefault(); jump(item.position); } }, text)
      : h("span", {}, text);
    return h("li", { class: reason.because === "unresolved_call" ? "unresolved" : "" },
      h("div", {}, link), item ? h("div", { class: "small muted" }, ago(item.occurred_at)) : null);
  });
  clear($("why"), items.length ? items : h("li", { class: "muted" }, "Nothing recent: no message in 14 days, no unresolved call."));
}

function fallbackSentence(reason) {
  const item = reason.interaction;
  if (!item) return reason.because.replaceAll("_", " ");
  const prefix = reason.because === "unresolved_call" ? "Unresolved call: " : "Recent message: ";
  return prefix + describe(item).title;
}

function renderConsent(consent) {
  const chips = ["email", "sms", "post", "phone"].map((channel) => {
    const given = consent[channel];
    const css = !given ? "badge" : given.granted ? "badge good" : "badge bad";
    const text = !given ? `${channel}: not recorded` : `${channel}: ${given.granted ? "yes" : "no"}`;
    return h("span", { class: css, title: given ? `since ${fmt.date(given.changed_at)}` : "" }, text);
  });
  clear($("consent"), chips);
}

function renderCounts(p) {
  const kpi = (label, value) => h("div", { class: "kpi" }, h("b", {}, value), h("span", {}, label));
  const c = p.counts;
  clear($("counts"),
    kpi("calls", fmt.int(c.phone)), kpi("e-mails", fmt.int(c.email)), kpi("SMS", fmt.int(c.sms)),
    kpi("letters", fmt.int(c.post)), kpi("surveys", fmt.int(c.survey)),
    kpi("handled cost", fmt.money(p.lifetime_handled_cost)),
  );
}

// --- the history ------------------------------------------------------------------------

export function describe(item) {
  if (item.call) return describeCall(item.call);
  if (item.mailshot) return describeMailshot(item.channel, item.mailshot);
  const s = item.survey;
  const scores = [s.nps !== null && `NPS ${s.nps} (${s.nps_category})`, s.csat !== null && `CSAT ${s.csat}`,
    s.effort !== null && `effort ${s.effort}`].filter(Boolean);
  return { title: `Survey · ${s.survey_kind}${s.about_kind ? ` about a ${s.about_kind}` : ""}`, detail: scores.join(" · "), comment: s.comment };
}

function describeCall(call) {
  const title = `Call · ${call.queue} · ${call.reason}`;
  const detail = call.outcome === "abandoned"
    ? `abandoned after ${call.wait_seconds} s`
    : `answered in ${call.wait_seconds} s by ${call.agent_id || "an agent"}, handled ${fmt.minutes(call.handled_seconds)}` +
      `${call.resolved ? ", resolved" : ", not resolved"}${call.transferred ? ", transferred" : ""}`;
  return { title, detail, comment: call.notes || null };
}

function describeMailshot(channel, m) {
  const parts = [m.bounced_at ? "bounced" : m.delivered_at ? "delivered" : "sent"];
  if (m.responses) parts.push(`responded (${m.first_response_how || "yes"})`);
  if (m.conversions) parts.push(`converted ${fmt.money(m.conversion_value)}`);
  // Campaigns by name; the id only while an older API gives no name.
  return { title: `${CHANNELS[channel] || channel} · ${m.campaign_name || m.campaign_id}`, detail: parts.join(", ") };
}

export function timelineItem(item, fresh) {
  const { title, detail, comment } = describe(item);
  return h("li", { id: `item-${item.position}`, tabindex: "-1", class: fresh ? "fresh" : "",
    "data-position": item.position, "data-kind": item.kind, "data-source-id": item.source_id },
    h("div", { class: `icon ${item.channel}`, "aria-hidden": "true" }, ICONS[item.channel] || "•"),
    h("div", { class: "what" }, h("div", { class: "title" }, title), h("div", { class: "detail" }, detail),
      comment ? h("div", { class: "comment" }, `“${comment}”`) : null),
    h("time", { datetime: item.occurred_at }, fmt.when(item.occurred_at)),
  );
}
