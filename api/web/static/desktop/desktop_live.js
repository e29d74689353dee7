// Live updates of the customer on screen: GET /customers/{ref}/events, read with fetch
// streaming (EventSource cannot send a header, and the key must never go in a URL).
// The badge says "live" only while a stream opened with the current key is answering.
import { readStream, sleep, storedKey } from "../common.js";

const RECONNECT_MS = 2000;
let current = null; // the AbortController of the stream being read, if any

export function setLive(mode, text) {
  const badge = document.getElementById("live");
  badge.className = `live ${mode}`;
  badge.textContent = text;
}

// Stops reading (the key changed, or no customer is on screen) and says so.
export function stopFollowing(text = "not following") {
  if (current) current.abort();
  current = null;
  setLive("off", text);
}

// Follows `ref` with the key of this tab; `onFact(fact)` for each of their new facts.
export function follow(ref, onFact) {
  stopFollowing("connecting…");
  setLive("wait", "connecting…");
  const controller = new AbortController();
  current = controller;
  stream(ref, controller.signal, onFact).catch(() => {});
}

// Server-Sent Events: blocks separated by a blank line, `id:`, `event:` and `data:` fields.
async function stream(ref, signal, onFact) {
  let lastId = null;
  while (!signal.aborted) {
    try {
      const headers = { "X-API-Key": storedKey() || "", Accept: "text/event-stream" };
      if (lastId !== null) headers["Last-Event-ID"] = lastId;
      const response = await fetch(`/customers/${encodeURIComponent(ref)}/events`, { headers, signal, cache: "no-store" });
      if (response.status === 401 || response.status === 403) { stopped(signal, "not allowed"); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      if (!signal.aborted) setLive("on", "live");
      const ended = await read(response, signal, onFact, (id) => { lastId = id; });
      if (ended === "revoked") { stopped(signal, "key revoked"); return; }
    } catch (error) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    setLive("wait", "reconnecting…");
    await sleep(RECONNECT_MS);
  }
}

function stopped(signal, text) {
  if (!signal.aborted) setLive("off", text);
}

function read(response, signal, onFact, seen) {
  return readStream(response, signal, async (event) => {
    if (event.id !== null) seen(event.id);
    if (event.data !== null) await onFact(event.data);
  });
}

// What a fact is, in an agent's words (never the fact's class name).
const WORDS = {
  CallRecorded: "a call was recorded",
  CallCorrected: "a call was corrected",
  MailshotSent: "a message was sent",
  MailshotHeldBack: "a message was held back",
  MailshotDelivered: "a message was delivered",
  MailshotBounced: "a message bounced",
  MailshotResponded: "they replied to a message",
  MailshotConverted: "a message led to a sale",
  SurveyReplied: "they answered a survey",
  CustomerRegistered: "they were registered",
  ContactDetailsChanged: "their contact details changed",
  MarketingConsentChanged: "their marketing consent changed",
  CustomerErased: "their personal data was erased",
  ContactSuppressed: "the contact policy left them out of a campaign",
};

export function inWords(kind) {
  return WORDS[kind] || "their record was updated";
}
