// Wallboard: today's queues (offered, answered, abandoned, service level so far against its
// target, longest wait), pushed by GET /wallboard/events each time the log grows. Read with
// fetch streaming so the key goes in a header, never in a URL; reconnects when dropped.
import { ApiError, askForKey, clear, configure, ensureKey, fmt, forgetKey, h, readEvents, sleep } from "../common.js";

const ROLE = "analyst";
const RECONNECT_MS = 2000;
const $ = (id) => document.getElementById(id);
let current = null; // AbortController of the stream being read

function setLive(mode, text) {
  $("live").className = `live ${mode}`;
  $("live").textContent = text;
}

function level(q, target) {
  if (q.service_level === null) return h("td", {}, "–");
  const met = q.service_level >= target;
  return h("td", { class: met ? "met" : "below" }, `${fmt.pct(q.service_level, 0)} ${met ? "✓" : "↓"}`);
}

export function showBoard(board) {
  const d = board.display;
  configure(d);
  document.documentElement.lang = d.locale;
  $("day").textContent = `Today, ${fmt.day(board.day, { weekday: "long", day: "numeric", month: "long", year: "numeric" })}`;
  $("updated").textContent = `· updated ${fmt.time(board.at)}`;
  $("sl-head").textContent = `service level (${d.service_level_seconds} s; target ${(100 * d.service_level_target).toFixed(0)} %)`;
  const t = board.total;
  const tile = (label, value) => h("div", { class: "tile" }, h("b", {}, value), h("span", {}, label));
  clear($("total"), tile("offered", fmt.int(t.offered)), tile("answered", fmt.int(t.answered)),
    tile("abandoned", fmt.int(t.abandoned)), tile("service level", fmt.pct(t.service_level, 0)),
    tile("longest wait", fmt.minutes(t.longest_wait_seconds)));
  clear($("queues").tBodies[0], board.queues.map((q) => h("tr", { "data-queue": q.queue },
    h("th", { scope: "row" }, q.queue), h("td", {}, fmt.int(q.offered)), h("td", {}, fmt.int(q.answered)),
    h("td", {}, fmt.int(q.abandoned)), level(q, d.service_level_target), h("td", {}, fmt.minutes(q.longest_wait_seconds)))));
  $("no-calls").hidden = board.queues.length > 0;
  document.body.dataset.position = String(board.view_position);
  document.body.dataset.ready = "true";
}

async function follow(signal) {
  while (!signal.aborted) {
    try {
      const ended = await readEvents("/wallboard/events", {
        signal, onOpen: () => setLive("on", "live"), onEvent: (e) => { if (e.event === "board") showBoard(e.data); },
      });
      if (ended === "revoked") return refused("That key was revoked.");
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        return refused(error.status === 401 ? "That key was not accepted." : "That key is not an analyst key.");
      }
    }
    setLive("wait", "reconnecting…");
    await sleep(RECONNECT_MS);
  }
}

async function refused(message) {
  setLive("off", "not allowed");
  forgetKey();
  if (await askForKey(ROLE, message)) start();
}

function start() {
  current?.abort();
  current = new AbortController();
  setLive("wait", "connecting…");
  follow(current.signal);
}

async function main() {
  $("change-key").addEventListener("click", async () => { if (await askForKey(ROLE)) start(); });
  if (await ensureKey(ROLE)) start();
}

main();
