// Agent desktop: find a customer (by phone, e-mail, name or reference, or popped from the
// URL by a telephony system: /desktop?phone=…&wait=…, /desktop?ref=…), show the single
// customer view and follow it live, and record the call's wrap-up.
import { api, ApiError, askForKey, ensureKey, fmt, forgetKey, h, storedKey } from "../common.js";
import { follow, inWords, stopFollowing } from "./desktop_live.js";
import { hideResults, initSearch, popByPhone, popByRef } from "./desktop_search.js";
import { jumpTo, renderTimeline, showOlder } from "./desktop_timeline.js";
import { renderContactability } from "./desktop_contact.js";
import { renderCustomer } from "./desktop_view.js";
import { forgetReasons, initWrapUp, loadReasons, openWrapUp } from "./desktop_wrapup.js";

const ROLE = "agent";
const VIEWS = ["empty", "nobody", "customer"];
const state = { ref: null, wait: null };
const $ = (id) => document.getElementById(id);

// Thrown when a call needs a key and the key dialog was dismissed.
class NoKey extends Error {
  constructor() { super("no key"); }
}

// --- what the page says ---------------------------------------------------------------

function notice(message, { kind = "error", action = null } = {}) {
  const box = $("notice");
  box.replaceChildren(...(message ? [message] : []), ...(action ? [" ", action] : []));
  box.className = message ? `notice ${kind === "info" ? "info" : ""}` : "notice hidden";
  box.setAttribute("role", kind === "info" ? "status" : "alert");
}

function report(error) {
  if (error instanceof NoKey) {
    const enter = h("button", { type: "button", class: "quiet", onclick: () => changeKey() }, "Enter a key");
    notice("This page needs an agent key to find and show customers.", { action: enter });
    return;
  }
  if (error instanceof ApiError && error.status >= 500) notice("The server is busy or unavailable: try again in a moment.");
  else if (error instanceof ApiError) notice(`The server refused: ${error.message}`);
  else notice(`The server could not be reached (${error.message}): try again in a moment.`);
}

// "empty" (nothing searched yet), "nobody" (with why), "customer", or "list" (only the
// results). The wrap-up goes with the customer, or with a caller's number nobody has.
function show(view, text = "", { number = null } = {}) {
  VIEWS.forEach((name) => $(name).classList.toggle("hidden", name !== view));
  if (view === "nobody") $("nobody-text").textContent = text;
  if (view === "customer") return;
  stopFollowing();
  state.ref = null;
  if (view === "nobody" && number) {
    $("nobody-slot").append($("wrapup-card"));
    openWrapUp({ number }, { wait: state.wait });
    remember({ phone: number });
  } else {
    $("customer-slot").append($("wrapup-card"));
  }
}

// --- the key ------------------------------------------------------------------------------

// `action`, asking for a key (again) when there is none or it is refused.
async function guarded(action) {
  if (!storedKey()) await newKey(null);
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError && (error.status === 401 || error.status === 403))) throw error;
    forgetKey();
    await newKey(error.status === 401 ? "That key was not accepted." : "That key is not an agent key.");
    return guarded(action);
  }
}

async function newKey(message) {
  const key = await askForKey(ROLE, message);
  if (!key) throw new NoKey();
  forgetReasons();
  notice("");
}

// "Change key": the key before stays until another is entered (Escape changes nothing).
// A new key stops the live stream at once: it follows again only once the key is accepted.
async function changeKey() {
  const key = await askForKey(ROLE);
  if (!key) return;
  forgetReasons();
  notice("");
  stopFollowing();
  if (state.ref) await openCustomer(state.ref, { refollow: true }).catch(report);
  else await pop().catch(report); // a pop from the address that waited for a key
}

// --- the customer -------------------------------------------------------------------------

// Opens customer `ref` (true), or says there is none (false; `quiet`: says nothing).
async function openCustomer(ref, { minPosition = null, refollow = false, quiet = false } = {}) {
  const path = `/customers/${encodeURIComponent(ref)}` + (minPosition ? `?min_position=${minPosition}` : "");
  let profile;
  try {
    profile = await guarded(() => api(path));
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    if (!quiet) show("nobody", `No customer has the reference ${ref}.`);
    return false;
  }
  const switched = state.ref !== profile.customer_ref;
  show("customer");
  $("customer-slot").append($("wrapup-card"));
  state.ref = profile.customer_ref;
  hideResults();
  const jump = (position) => jumpTo(position, guarded).catch(report);
  renderCustomer(profile, { jump });
  renderContactability(profile.customer_ref, { guarded, jump }).catch(report);
  renderTimeline(profile.customer_ref, profile.recent_interactions);
  if (switched) openWrapUp({ ref: profile.customer_ref }, { wait: state.wait });
  if (switched || refollow) follow(profile.customer_ref, (fact) => arrived(profile.customer_ref, fact));
  remember();
  loadReasons().catch(report);
  return true;
}

// The address says who is on screen (and the phone system's wait time until it is recorded).
function remember({ phone = null } = {}) {
  const params = new URLSearchParams();
  if (state.ref) params.set("ref", state.ref);
  else if (phone) params.set("phone", phone);
  if ((state.ref || phone) && state.wait !== null) params.set("wait", String(state.wait));
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

async function arrived(ref, fact) {
  if (ref !== state.ref) return;
  // Read-your-writes: the customer view answers once it has applied this fact.
  await openCustomer(ref, { minPosition: fact.position }).catch(() => openCustomer(ref)).catch(report);
  notice(`Updated: ${inWords(fact.kind)} (${fmt.time(fact.recorded_at)}).`, { kind: "info" });
}

function recorded(target, answer) {
  state.wait = null; // the phone system's wait time belonged to the call just recorded
  remember({ phone: target.number || null });
  // The history shows the call even if the live stream is down (the view waits for it).
  if (answer && target.ref && target.ref === state.ref) {
    openCustomer(target.ref, { minPosition: answer.position }).catch(report);
  }
}

// --- start --------------------------------------------------------------------------------

function waitFromUrl(params) {
  const wait = params.get("wait");
  return wait !== null && /^\d{1,6}$/.test(wait.trim()) ? Number.parseInt(wait, 10) : null;
}

async function pop() {
  const params = new URLSearchParams(location.search);
  state.wait = waitFromUrl(params);
  const phone = params.get("phone");
  const ref = params.get("ref");
  if (phone && phone.trim()) await popByPhone(phone.trim());
  else if (ref && ref.trim()) await popByRef(ref.trim());
}

async function main() {
  initSearch({ guarded, openCustomer, show, report });
  initWrapUp({ guarded, recorded, report });
  $("older").addEventListener("click", () => showOlder(guarded).catch(report));
  $("change-key").addEventListener("click", () => changeKey().catch(report));
  const key = await ensureKey(ROLE);
  $("q").focus();
  if (key) await pop().catch(report);
  else report(new NoKey());
  document.body.dataset.ready = "true";
}

main();
