// The wrap-up of a call (POST /interactions/calls). Each form carries an idempotency id
// (the call's source_id) made when the form OPENS, with the time it opened: a double
// click, or a retry after a lost answer, sends the same call again and the API records
// it once (200 "duplicate"). The agent is the API key's name (the API fills it in); the
// reasons are the centre's list (GET /call-reasons), free text only where it allows.
// A caller nobody has the number of is wrapped up by that number (`caller_number`): the
// API records the call for an unidentified caller derived from it.
import { api, ApiError, clear, fmt, h } from "../common.js";

const $ = (id) => document.getElementById(id);
const OTHER = "__other";
const NOTES_MAX = 2000;
// Until the centre's list answers (or on an API without one): the demo's reasons, free text allowed.
const FALLBACK = {
  reasons: ["balance-query", "payment-query", "direct-debit", "statement-request", "address-change", "complaint",
    "card-lost", "card-declined", "pin-reset", "suspicious-transaction", "fraud-alert", "mortgage-rate-switch",
    "loan-enquiry", "offer-query"].map((code) => ({ code, label: code.replaceAll("-", " ") })),
  free_text_allowed: true,
};
const call = { target: null, sourceId: null, openedAt: null, busy: false }; // target: {ref} or {number}
let deps = null; // { guarded, recorded(target, answer), report } from desktop.js
let reasonsKnown = false;

export function initWrapUp(dependencies) {
  deps = dependencies;
  const form = $("wrapup");
  form.addEventListener("submit", submit);
  form.elements.reason.addEventListener("change", showOther);
  form.elements.notes.addEventListener("input", countNotes);
  fillReasons(FALLBACK);
}

// The centre's reasons, once per key (an error keeps the list shown: the API still checks).
export async function loadReasons() {
  if (reasonsKnown) return;
  try {
    fillReasons(await api("/call-reasons"));
    reasonsKnown = true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
}

export function forgetReasons() {
  reasonsKnown = false;
}

function fillReasons(list) {
  const select = $("wrapup").elements.reason;
  const chosen = select.value;
  const options = list.reasons.map((reason) => h("option", { value: reason.code }, reason.label || reason.code));
  if (list.free_text_allowed) options.push(h("option", { value: OTHER }, "Other (type it)"));
  clear(select, h("option", { value: "" }, "Choose a reason…"), options);
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  showOther();
}

// A new form for a call with customer `target.ref` (or from `target.number`): fresh
// idempotency id and start time; the phone system's wait time if it gave one.
export function openWrapUp(target, { wait = null } = {}) {
  const form = $("wrapup");
  form.reset();
  if (wait !== null) form.elements.wait_seconds.value = String(wait);
  call.target = target;
  $("wrapup-for").textContent = target.number ? `For the caller on ${target.number} (no customer has this number yet).` : "";
  $("wrapup-for").classList.toggle("hidden", !target.number);
  call.sourceId = `desktop-${crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`}`;
  call.openedAt = new Date().toISOString();
  form.dataset.sourceId = call.sourceId;
  showOther();
  countNotes();
}

function showOther() {
  const other = $("wrapup").elements.reason.value === OTHER;
  $("reason-other-label").classList.toggle("hidden", !other);
  $("wrapup").elements.reason_other.required = other;
}

function countNotes() {
  const length = $("wrapup").elements.notes.value.length;
  $("notes-count").textContent = `${fmt.int(length)} / ${fmt.int(NOTES_MAX)} characters`;
}

function say(text, kind = "") {
  const result = $("wrapup-result");
  result.textContent = text;
  result.className = `small ${kind}`;
}

// The call as sent: the same form gives the same body (so a retry is a duplicate).
function body(form) {
  const data = new FormData(form);
  const seconds = (name) => Number.parseInt(data.get(name), 10);
  const reason = data.get("reason") === OTHER ? data.get("reason_other").trim() : data.get("reason");
  const notes = data.get("notes").trim();
  return {
    occurred_at: call.openedAt, source: "desktop", source_id: call.sourceId,
    ...(call.target.ref ? { customer_ref: call.target.ref } : { caller_number: call.target.number }),
    queue: data.get("queue"), reason, outcome: "answered",
    wait_seconds: seconds("wait_seconds"), talk_seconds: seconds("talk_seconds"),
    hold_seconds: seconds("hold_seconds"), after_call_work_seconds: seconds("after_call_work_seconds"),
    resolved: data.get("resolved") === "on", transferred: data.get("transferred") === "on",
    ...(notes ? { notes } : {}),
  };
}

// The first field the browser finds invalid, said in words and focused.
function invalidField(form) {
  const field = [...form.elements].find((element) => element.willValidate && !element.checkValidity());
  if (!field) return null;
  field.focus();
  const label = field.closest("label")?.firstChild?.textContent?.trim() || field.name;
  return field.validity.valueMissing ? `Fill in “${label}”.` : `Check “${label}”: ${field.validationMessage}`;
}

async function submit(event) {
  event.preventDefault();
  if (call.busy) return; // a second click while the first is on its way
  const form = $("wrapup");
  const problem = invalidField(form);
  if (problem) { say(problem, "bad"); return; }
  const button = form.querySelector("button[type=submit]");
  call.busy = true;
  button.disabled = true;
  say("Recording…");
  try {
    await send(form, body(form));
  } finally {
    call.busy = false;
    button.disabled = false;
  }
}

async function send(form, sent) {
  try {
    const answer = await deps.guarded(() => api("/interactions/calls", { method: "POST", body: sent }));
    recorded(`Call recorded, ${fmt.time(new Date().toISOString())}.`, answer);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      recorded("This call was recorded already, with the details sent first. The form is ready for the next call.", null);
    } else if (error instanceof ApiError) {
      say(`Not recorded: ${refusal(error)}`, "bad");
    } else if (error instanceof TypeError) {
      say("Not recorded yet: the network failed. Press “Record call” again: the call will be recorded once.", "bad");
    } else {
      say("Not recorded.", "bad");
      deps.report(error); // e.g. the key dialog was dismissed: the page says what is needed
    }
  }
}

function recorded(text, answer) {
  say(text, "good");
  const result = $("wrapup-result");
  if (answer) result.dataset.position = answer.position; else delete result.dataset.position;
  const target = call.target;
  openWrapUp(target);
  deps.recorded(target, answer);
}

function refusal(error) {
  const params = (error.problem && error.problem.invalid_params) || [];
  if (params.length) return params.map((p) => `${p.name.split(".").pop().replaceAll("_", " ")}: ${p.reason}`).join("; ");
  return error.message;
}
