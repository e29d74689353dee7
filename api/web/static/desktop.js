// Agent desktop: find a customer by reference, show the single customer view, follow
// their facts live (GET /customers/{ref}/events, read with fetch streaming so the key
// stays in a header), and record a call's wrap-up (POST /interactions/calls).
import { api, ApiError, askForKey, clear, ensureKey, fmt, forgetKey, h, sleep } from "./common.js";

const ROLE = "agent";
const RECONNECT_MS = 2000;
const state = { ref: null, follow: null, olderCursor: null, shown: new Set() };
const $ = (id) => document.getElementById(id);

function notice(message, kind = "error") {
  const box = $("notice");
  box.textContent = message || "";
  box.className = message ? `notice ${kind === "info" ? "info" : ""}` : "notice hidden";
}

async function guarded(action) {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      forgetKey();
      await askForKey(ROLE, error.status === 401 ? "That key was not accepted." : "That key is not an agent key.");
      return guarded(action);
    }
    throw error;
  }
}

// --- the single customer view --------------------------------------------------------

async function open(ref, { minPosition } = {}) {
  const path = `/customers/${encodeURIComponent(ref)}` + (minPosition ? `?min_position=${minPosition}` : "");
  let profile;
  try {
    profile = await guarded(() => api(path));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      notice(`No customer ${ref}: no fact names this reference.`);
      $("customer").classList.add("hidden");
      $("empty").classList.remove("hidden");
      return;
    }
    throw error;
  }
  notice("");
  const switched = state.ref !== ref;
  state.ref = ref;
  history.replaceState(null, "", `?ref=${encodeURIComponent(ref)}`);
  render(profile, switched);
  if (switched) follow(ref);
}

function render(profile, switched) {
  $("empty").classList.add("hidden");
  $("customer").classList.remove("hidden");
  renderProfile(profile);
  renderSignals(profile);
  renderWhy(profile.why_calling);
  renderConsent(profile.consent);
  renderCounts(profile);
  renderTimeline(profile.recent_interactions, switched);
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
    h("p", { class: "profile-name", "data-testid": "customer-name" }, personal(p.name)),
    h("div", { class: "profile-ref" }, p.customer_ref),
    h("dl", { class: "facts" },
      h("dt", {}, "Segment"), h("dd", {}, p.segment || "–"),
      h("dt", {}, "Customer since"), h("dd", {}, p.registered_at ? fmt.date(p.registered_at) : "–"),
      h("dt", {}, "E-mail"), h("dd", {}, personal(p.email)),
      h("dt", {}, "Phone"), h("dd", {}, personal(p.phone)),
      h("dt", {}, "Last contact"), h("dd", {}, p.last_contact ? fmt.ago(p.last_contact) : "–"),
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
             h("div", { class: "small muted" }, `${nps.category}, ${fmt.ago(nps.occurred_at)}`)]
          : h("div", { class: "muted", "data-testid": "latest-nps" }, "no score yet"),
      ),
      h("div", {},
        h("h2", {}, "Contact pressure"),
        h("div", { "data-testid": "pressure" }, `${p.mailshots_last_30_days} mailshots in 30 days`),
        h("div", { class: `meter ${p.over_pressure_cap ? "over" : ""}` }, bar),
        h("div", { class: "small muted" }, `cap ${p.pressure_cap}; ${p.calls_in_repeat_window} calls in ${p.repeat_window_days} days`),
      ),
    ),
  );
}

function renderWhy(reasons) {
  const items = reasons.map((reason) =>
    h("li", { class: reason.because === "unresolved_call" ? "unresolved" : "" },
      h("div", {}, reason.because === "unresolved_call" ? "Unresolved call: " : "Recent outbound: ", describe(reason.interaction).title),
      h("div", { class: "small muted" }, fmt.ago(reason.interaction.occurred_at)),
    ));
  clear($("why"), items.length ? items : h("li", { class: "muted" }, "Nothing recent: no mailshot in 14 days, no unresolved call."));
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

// --- the timeline ----------------------------------------------------------------------

const ICONS = { phone: "☎", email: "@", sms: "SMS", post: "✉", survey: "★" };

function describe(item) {
  if (item.call) {
    const call = item.call;
    const title = `Call · ${call.queue} · ${call.reason}`;
    const detail = call.outcome === "abandoned"
      ? `abandoned after ${call.wait_seconds} s`
      : `answered in ${call.wait_seconds} s by ${call.agent_id || "?"}, handled ${fmt.minutes(call.handled_seconds)}` +
        `${call.resolved ? ", resolved" : ", not resolved"}${call.transferred ? ", transferred" : ""}`;
    return { title, detail };
  }
  if (item.mailshot) {
    const m = item.mailshot;
    const parts = [m.bounced_at ? "bounced" : m.delivered_at ? "delivered" : "sent"];
    if (m.responses) parts.push(`responded (${m.first_response_how || "yes"})`);
    if (m.conversions) parts.push(`converted ${fmt.money(m.conversion_value)}`);
    return { title: `${item.channel.toUpperCase()} · ${m.campaign_id}`, detail: parts.join(", ") };
  }
  const s = item.survey;
  const scores = [s.nps !== null && `NPS ${s.nps} (${s.nps_category})`, s.csat !== null && `CSAT ${s.csat}`,
    s.effort !== null && `effort ${s.effort}`].filter(Boolean);
  return { title: `Survey · ${s.survey_kind}${s.about_kind ? ` about a ${s.about_kind}` : ""}`, detail: scores.join(" · "), comment: s.comment };
}

function timelineItem(item, fresh) {
  const { title, detail, comment } = describe(item);
  return h("li", { class: fresh ? "fresh" : "", "data-position": item.position, "data-kind": item.kind },
    h("div", { class: `icon ${item.channel}` }, ICONS[item.channel] || "•"),
    h("div", {}, h("div", { class: "title" }, title), h("div", { class: "detail" }, detail),
      comment ? h("div", { class: "comment" }, `“${comment}”`) : null),
    h("time", { datetime: item.occurred_at, title: fmt.when(item.occurred_at) }, fmt.when(item.occurred_at)),
  );
}

function renderTimeline(items, switched) {
  const fresh = switched ? new Set() : new Set(items.filter((i) => !state.shown.has(i.position)).map((i) => i.position));
  if (switched) state.shown = new Set();
  items.forEach((item) => state.shown.add(item.position));
  clear($("timeline"), items.map((item) => timelineItem(item, fresh.has(item.position))));
  state.olderCursor = items.length ? items[items.length - 1].position : null;
  $("older").classList.toggle("hidden", items.length < 50);
  $("timeline-note").textContent = `${items.length} most recent`;
}

async function showOlder() {
  const page = await guarded(() => api(`/customers/${encodeURIComponent(state.ref)}/timeline?after=${state.olderCursor}&limit=50`));
  page.items.forEach((item) => $("timeline").append(timelineItem(item, false)));
  state.olderCursor = page.next_after;
  $("older").classList.toggle("hidden", page.next_after === null);
  $("timeline-note").textContent = `${$("timeline").children.length} shown`;
}

// --- live updates ----------------------------------------------------------------------

function setLive(mode, text) {
  const badge = $("live");
  badge.className = `live ${mode}`;
  badge.textContent = text;
}

function follow(ref) {
  if (state.follow) state.follow.abort();
  const controller = new AbortController();
  state.follow = controller;
  stream(ref, controller.signal).catch(() => {});
}

// Server-Sent Events over fetch: blocks separated by a blank line, `id:` and `data:` fields.
async function stream(ref, signal) {
  let lastId = null;
  while (!signal.aborted) {
    try {
      const headers = { "X-API-Key": sessionStorage.getItem("touchpoint.apiKey") || "", Accept: "text/event-stream" };
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      const response = await fetch(`/customers/${encodeURIComponent(ref)}/events`, { headers, signal, cache: "no-store" });
      if (response.status === 401 || response.status === 403) { setLive("off", "not allowed"); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      setLive("on", "live");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = (buffer + value).replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.event === "revoked") { setLive("off", "key revoked"); return; }
          if (event.id !== null) lastId = event.id;
          if (event.data !== null) await arrived(ref, JSON.parse(event.data));
        }
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    setLive("wait", "reconnecting…");
    await sleep(RECONNECT_MS);
  }
}

function parseEvent(block) {
  const event = { id: null, data: null, event: null };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") event.id = value;
    if (field === "event") event.event = value;
    if (field === "data") event.data = event.data === null ? value : `${event.data}\n${value}`;
  }
  return event;
}

async function arrived(ref, fact) {
  if (ref !== state.ref) return;
  // Read-your-writes: the customer view answers once it has applied this position.
  await open(ref, { minPosition: fact.position }).catch(() => open(ref));
  notice(`New: ${fact.kind} (position ${fact.position}), ${fmt.when(fact.recorded_at)}`, "info");
}

// --- recording a wrap-up -----------------------------------------------------------------

async function recordCall(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  const seconds = (name) => Number.parseInt(data.get(name), 10) || 0;
  const now = new Date();
  const body = {
    occurred_at: now.toISOString(),
    source: "desktop",
    source_id: `desktop-${crypto.randomUUID ? crypto.randomUUID() : `${now.getTime()}-${Math.random()}`}`,
    customer_ref: state.ref,
    queue: data.get("queue"),
    reason: data.get("reason"),
    agent_id: data.get("agent_id"),
    outcome: "answered",
    wait_seconds: seconds("wait_seconds"),
    talk_seconds: seconds("talk_seconds"),
    hold_seconds: seconds("hold_seconds"),
    after_call_work_seconds: seconds("after_call_work_seconds"),
    resolved: data.get("resolved") === "on",
    transferred: data.get("transferred") === "on",
  };
  const result = $("wrapup-result");
  try {
    const recorded = await guarded(() => api("/interactions/calls", { method: "POST", body }));
    result.textContent = `Recorded at position ${recorded.position}.`;
    sessionStorage.setItem("touchpoint.agent", body.agent_id);
  } catch (error) {
    result.textContent = `Not recorded: ${error.message}`;
  }
}

// --- start ------------------------------------------------------------------------------

async function main() {
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = $("ref").value.trim();
    if (ref) open(ref).catch((error) => notice(error.message));
  });
  $("older").addEventListener("click", () => showOlder().catch((error) => notice(error.message)));
  $("wrapup").addEventListener("submit", recordCall);
  $("change-key").addEventListener("click", async () => {
    forgetKey();
    await askForKey(ROLE);
    if (state.ref) { const ref = state.ref; state.ref = null; open(ref).catch((error) => notice(error.message)); }
  });
  const agent = sessionStorage.getItem("touchpoint.agent");
  if (agent) $("wrapup").elements.agent_id.value = agent;
  await ensureKey(ROLE);
  const ref = new URLSearchParams(location.search).get("ref");
  if (ref) {
    $("ref").value = ref;
    await open(ref).catch((error) => notice(error.message));
  }
  document.body.dataset.ready = "true";
}

main();
