// The customer's history on the desktop: the newest page from the profile, older pages
// on demand (GET /customers/{ref}/timeline?after=…), new items marked as they arrive,
// and "jump to this item" for the reasons they may be calling.
import { api, clear } from "../common.js";
import { timelineItem } from "./desktop_view.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
const MAX_PAGES_TO_JUMP = 20;
const state = { ref: null, shown: new Set(), cursor: null, more: false };

// The profile's most recent items; on a new customer nothing is marked as new.
export function renderTimeline(ref, items) {
  const switched = state.ref !== ref;
  const fresh = switched ? new Set() : new Set(items.filter((i) => !state.shown.has(i.position)).map((i) => i.position));
  if (switched) state.shown = new Set();
  state.ref = ref;
  items.forEach((item) => state.shown.add(item.position));
  clear($("timeline"), items.map((item) => timelineItem(item, fresh.has(item.position))));
  state.cursor = items.length ? items[items.length - 1].position : null;
  state.more = items.length >= PAGE;
  $("older").classList.toggle("hidden", !state.more);
  $("timeline-note").textContent = items.length ? `${items.length} most recent` : "nothing yet";
}

export async function showOlder(guarded) {
  if (!state.more || state.cursor === null) return;
  const ref = state.ref;
  const page = await guarded(() => api(`/customers/${encodeURIComponent(ref)}/timeline?after=${state.cursor}&limit=${PAGE}`));
  if (ref !== state.ref) return;
  page.items.forEach((item) => { state.shown.add(item.position); $("timeline").append(timelineItem(item, false)); });
  state.cursor = page.next_after;
  state.more = page.next_after !== null;
  $("older").classList.toggle("hidden", !state.more);
  $("timeline-note").textContent = `${$("timeline").children.length} shown`;
}

// Scrolls to (and focuses) the history item at `position`, loading older pages if needed.
export async function jumpTo(position, guarded) {
  for (let pages = 0; !$(`item-${position}`) && state.more && pages < MAX_PAGES_TO_JUMP; pages += 1) {
    await showOlder(guarded);
  }
  const item = $(`item-${position}`);
  if (!item) return;
  item.classList.remove("target");
  void item.offsetWidth; // restart the highlight
  item.classList.add("target");
  item.focus({ preventScroll: true });
  item.scrollIntoView({ block: "center", behavior: "smooth" });
}
