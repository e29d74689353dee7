// touchpoint pages: the API key, calls to the API, small DOM and formatting helpers.
// The key lives in this tab's sessionStorage only and is sent as X-API-Key; it never
// goes into a URL (so never into access logs or history).

const KEY_SLOT = "touchpoint.apiKey";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function storedKey() {
  return sessionStorage.getItem(KEY_SLOT);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_SLOT);
}

let asking = null; // the open dialog's promise: callers refused at once all wait for one key

// Shows the key dialog; resolves with the key entered, or with null when the dialog is
// dismissed (Escape or Cancel): then the key kept before, if any, stays as it was, and
// the next call asks again (a dismissed dialog must never leave a caller waiting).
export function askForKey(role, message) {
  if (asking) return asking;
  asking = showKeyDialog(role, message).finally(() => { asking = null; });
  return asking;
}

function showKeyDialog(role, message) {
  const dialog = document.getElementById("key-dialog");
  document.getElementById("key-role").textContent = role;
  const note = document.getElementById("key-message");
  note.textContent = message || "";
  note.classList.toggle("hidden", !message);
  const input = document.getElementById("key-input");
  input.value = "";
  const form = dialog.querySelector("form");
  const cancel = dialog.querySelector("[data-cancel]");
  return new Promise((resolve) => {
    let entered = null;
    form.onsubmit = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY_SLOT, key);
      entered = key;
      dialog.close();
    };
    if (cancel) cancel.onclick = () => dialog.close();
    // "close" follows every way out: the form, Cancel, Escape (the browser's "cancel").
    dialog.addEventListener("close", () => resolve(entered), { once: true });
    dialog.showModal();
    input.focus();
  });
}

// The key, asking for one first if there is none (null: the dialog was dismissed).
export async function ensureKey(role) {
  return storedKey() || askForKey(role);
}

// fetch against the API with the key; JSON (or text) back, ApiError on a problem.
export async function api(path, { method = "GET", body, accept = "application/json", signal } = {}) {
  const headers = { "X-API-Key": storedKey() || "", Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, signal, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return accept.startsWith("application/json") ? response.json() : response.text();
}

// Downloads the CSV of an API query (Accept: text/csv) as a file.
export async function downloadCsv(path, filename) {
  const text = await api(path, { accept: "text/csv" });
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// h("div", {class: "x"}, "text", child): an element; text is always text, never HTML.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function clear(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// How numbers, money, dates and times are written: the centre's settings (GET /display)
// once a page has called `configure`, else British English and pounds; times always name
// their zone (the centre's once configured), so a time is never left to guessing.
const display = { locale: "en-GB", currency: "GBP", timeZone: undefined };

export function configure({ locale, currency, timezone } = {}) {
  if (locale) display.locale = locale;
  if (currency) display.currency = currency;
  if (timezone) display.timeZone = timezone;
}

export function displaySettings() {
  return { ...display };
}

const when = (options) => ({ ...options, timeZone: display.timeZone });
export const fmt = {
  int: (v) => (v === null || v === undefined ? "–" : new Intl.NumberFormat(display.locale).format(v)),
  pct: (v, digits = 1) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(digits)} %`),
  seconds: (v) => (v === null || v === undefined ? "–" : `${Math.round(v)} s`),
  // m:ss (h:mm:ss from an hour): one unit for waits and handle times, on axes and in text.
  minutes(s) {
    if (s === null || s === undefined || Number.isNaN(s)) return "–";
    const total = Math.round(s);
    const [hours, minutes, seconds] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
    const ss = String(seconds).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${ss}` : `${minutes}:${ss}`;
  },
  money: (v) => (v === null || v === undefined ? "–"
    : new Intl.NumberFormat(display.locale, { style: "currency", currency: display.currency }).format(Number(v))),
  currencySymbol: () => new Intl.NumberFormat(display.locale, { style: "currency", currency: display.currency })
    .formatToParts(0).find((p) => p.type === "currency").value,
  date: (iso) => new Date(iso).toLocaleDateString(display.locale, when({ day: "numeric", month: "short", year: "numeric" })),
  // A calendar day ("2026-12-06"), written in the centre's locale: no zone shifts it.
  day: (iso, options = { day: "numeric", month: "short", year: "numeric" }) =>
    new Date(`${iso}T12:00:00Z`).toLocaleDateString(display.locale, { ...options, timeZone: "UTC" }),
  // With the zone's name ("6 Dec 2026, 09:12 GMT"): a time never leaves its zone to guessing.
  when: (iso) => new Date(iso).toLocaleString(display.locale, when({ day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" })),
  time: (iso) => new Date(iso).toLocaleTimeString(display.locale, when({ hour: "2-digit", minute: "2-digit", timeZoneName: "short" })),
  ago(iso, now = Date.now()) {
    const seconds = Math.max(0, (now - new Date(iso).getTime()) / 1000);
    if (seconds < 90) return "just now";
    if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
    if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
    return `${Math.round(seconds / 86400)} days ago`;
  },
};

// Server-Sent Events read with fetch (EventSource cannot send a header, and a key must
// never go in a URL): `onEvent({event, id, data})` per event; resolves "revoked" when the
// server says the key was revoked, "ended" when the stream ends; ApiError on a refusal.
export async function readEvents(path, { signal, onEvent, onOpen = () => {} }) {
  const headers = { "X-API-Key": storedKey() || "", Accept: "text/event-stream" };
  const response = await fetch(path, { headers, signal, cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, null);
  onOpen();
  return readStream(response, signal, (event) => {
    if (event.data !== null) onEvent(event);
  });
}

// The body of a fetched Server-Sent Events response: `onEvent({event, id, data})` per
// event, awaited in order (data parsed from JSON, null when the event has none); resolves
// "revoked" when the server says the key was revoked, "ended" when the stream ends or
// `signal` aborts. The desktop's live timeline and `readEvents` both read through it.
export async function readStream(response, signal, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done || signal?.aborted) return "ended";
    buffer = (buffer + value).replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event.event === "revoked") return "revoked";
      await onEvent({ ...event, data: event.data === null ? null : JSON.parse(event.data) });
    }
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
