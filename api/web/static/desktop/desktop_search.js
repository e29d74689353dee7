// Finding a customer: one box for a phone number, an e-mail address, a name or a
// reference (GET /customers?phone=|email=|name=|ref=, personal values masked), and the
// screen pop of a telephony system (GET /customers/lookup?phone=…: one, several, none).
import { api, ApiError, clear, h, storedKey } from "../common.js";
import { ago } from "./desktop_view.js";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 250;
const MIN_CHARACTERS = 3;
let deps = null; // { guarded, openCustomer, show, report } from desktop.js
let latest = { query: null, matches: null, request: 0 };
let timer = null;

// Which search a text is: an e-mail has an @; a phone number is digits (and + ( ) - . /
// spaces); a reference is letters, a dash and more (C-000007, U-3F2A…); else a name.
export function searchKey(text) {
  const value = text.trim();
  if (value.includes("@")) return "email";
  if (/^[+\d\s().\-/]+$/.test(value) && value.replace(/\D/g, "").length >= 6) return "phone";
  if (/^[A-Za-z]{1,4}-[A-Za-z0-9-]*\d[A-Za-z0-9-]*$/.test(value)) return "ref";
  return "name";
}

const HINTS = {
  phone: "Give at least 9 digits of the phone number.",
  email: "That is not an e-mail address yet.",
  name: "Give a whole word, or the first 3 letters of one.",
  ref: "That is not a reference.",
};

const UNAVAILABLE = "Search is not available on this server just now: open a customer by reference.";

export function initSearch(dependencies) {
  deps = dependencies;
  const input = $("q");
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => searchAsTyped(input.value).catch(deps.report), DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") { event.preventDefault(); focusResult(0); }
    if (event.key === "Escape" && !$("results-card").classList.contains("hidden")) { event.preventDefault(); hideResults(); }
  });
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    openFirst(input.value).catch(deps.report);
  });
  $("results").addEventListener("keydown", moveThroughResults);
  document.addEventListener("keydown", slashFocusesSearch);
}

// "/" anywhere but in a field (or with the key dialog open) goes back to the search box.
function slashFocusesSearch(event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]") || $("key-dialog").open) return;
  event.preventDefault();
  $("q").focus();
  $("q").select();
}

function moveThroughResults(event) {
  const links = [...$("results").querySelectorAll("a")];
  const at = links.indexOf(document.activeElement);
  if (event.key === "ArrowDown" && at < links.length - 1) { event.preventDefault(); links[at + 1].focus(); }
  if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? links[at - 1] : $("q")).focus(); }
  if (event.key === "Escape") { event.preventDefault(); $("q").focus(); }
}

function focusResult(index) {
  const links = $("results").querySelectorAll("a");
  if (links[index]) links[index].focus();
}

// Without a key, typing does not pop the key dialog up under the fingers: Enter asks.
async function searchAsTyped(text) {
  if (storedKey() || text.trim().length < MIN_CHARACTERS) return search(text);
  showResults([], "An agent key is needed to search: press Enter to give one.");
  return null;
}

// Enter: the first customer of this text's results (searching first if they are not in).
async function openFirst(text) {
  const matches = latest.query === text.trim() && latest.matches ? latest.matches : await search(text, 1);
  if (matches && matches.length) await choose(matches[0].customer_ref);
}

// As typed, from 3 characters; on Enter, anything (a two-letter surname is a whole word).
async function search(text, least = MIN_CHARACTERS) {
  const query = text.trim();
  if (query.length < least) { hideResults(); latest = { ...latest, query: null, matches: null }; return null; }
  const key = searchKey(query);
  const request = ++latest.request;
  let page;
  try {
    page = await deps.guarded(() => api(`/customers?${key}=${encodeURIComponent(query)}&limit=20`));
  } catch (error) {
    if (!(error instanceof ApiError && (error.status === 422 || error.status === 503))) throw error;
    if (request === latest.request) showResults([], error.status === 422 ? HINTS[key] : UNAVAILABLE);
    return null;
  }
  if (request !== latest.request) return null; // a newer search was typed meanwhile
  latest = { query, matches: page.items, request };
  const found = page.items.length;
  showResults(page.items, found ? `${found}${page.next_offset !== null ? "+" : ""} found by ${words(key)}` : `No customer matches this ${words(key)}.`);
  return page.items;
}

function words(key) {
  return { phone: "phone number", email: "e-mail", name: "name", ref: "reference" }[key];
}

async function choose(ref) {
  hideResults();
  await deps.openCustomer(ref);
}

export function hideResults() {
  $("results-card").classList.add("hidden");
}

function showResults(matches, note) {
  $("results-note").textContent = note;
  clear($("results"), matches.map(resultItem));
  $("results-card").classList.remove("hidden");
}

function resultItem(match) {
  const name = match.name || (match.erased ? "personal data erased" : match.registered ? "no name given" : "not registered");
  const extra = [match.phone, match.segment].filter(Boolean).join(" · ");
  return h("li", {},
    h("a", { href: `?ref=${encodeURIComponent(match.customer_ref)}`, class: "result", "data-ref": match.customer_ref,
      onclick: (event) => { if (plainClick(event)) { event.preventDefault(); choose(match.customer_ref).catch(deps.report); } } },
      h("span", { class: "result-name" }, name),
      h("span", { class: "result-ref" }, match.customer_ref),
      h("span", { class: "result-extra small" }, extra || "–"),
      h("span", { class: "result-extra small" }, match.last_contact ? ["last contact ", ago(match.last_contact)] : "no contact yet"),
    ));
}

function plainClick(event) {
  return !(event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0);
}

// Screen pop by the caller's number: one customer opens, several are listed, none is said.
export async function popByPhone(phone) {
  $("q").value = phone;
  try {
    const match = await deps.guarded(() => api(`/customers/lookup?phone=${encodeURIComponent(phone)}`));
    await deps.openCustomer(match.customer_ref);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 300) return several(phone, error.problem.customers || []);
    if (error.status === 404) return deps.show("nobody", `No customer has the phone number ${phone}.`, { number: phone });
    if (error.status === 422) return deps.show("nobody", `“${phone}” is not a phone number.`);
    throw error;
  }
}

async function several(phone, refs) {
  const page = await deps.guarded(() => api(`/customers?phone=${encodeURIComponent(phone)}&limit=100`));
  const byRef = new Map(page.items.map((match) => [match.customer_ref, match]));
  const matches = refs.map((ref) => byRef.get(ref) || { customer_ref: ref, name: null, registered: true, erased: false });
  deps.show("list");
  latest = { query: phone.trim(), matches, request: latest.request };
  showResults(matches, `${refs.length} customers have this phone number: pick one`);
  focusResult(0);
}

// Screen pop by reference: exact first, then in any case (c-000007).
export async function popByRef(ref) {
  $("q").value = ref;
  if (await deps.openCustomer(ref, { quiet: true })) return;
  const page = await deps.guarded(() => api(`/customers?ref=${encodeURIComponent(ref)}&limit=2`));
  if (page.items.length === 1) { await deps.openCustomer(page.items[0].customer_ref); return; }
  deps.show("nobody", `No customer has the reference ${ref}.`);
}
