// "Offer products?": the contact policy's answer for the open customer on the phone, in an
// agent's words ("Don't offer products today: complaint on …"), each reason linking to the
// history item that caused it. GET /customers/{ref}/contactability (issue 18).
import { api, clear, fmt, h } from "../common.js";

const $ = (id) => document.getElementById(id);
const CHANNEL = "phone"; // the agent is on a call: may they sell on it?

// Shows the verdict for `ref`; `jump(position)` opens a history item.
export async function renderContactability(ref, { guarded, jump }) {
  const path = `/customers/${encodeURIComponent(ref)}/contactability?channel=${CHANNEL}`;
  const answer = await guarded(() => api(path));
  const box = $("contact");
  if (!box || answer.customer_ref !== ref) return;
  box.dataset.allowed = String(answer.allowed);
  if (answer.allowed) {
    clear(box, h("p", { class: "badge good", "data-testid": "contact-verdict" }, "May offer products today"));
    return;
  }
  clear(box,
    h("p", { class: "badge bad", "data-testid": "contact-verdict" }, "Don't offer products today"),
    h("ul", { class: "items", "data-testid": "contact-reasons" }, answer.blocked_by.map((block) => reason(block, jump))),
  );
}

function reason(block, jump) {
  const fact = block.fact;
  const text = block.sentence;
  const link = fact && fact.on_timeline && fact.position !== null
    ? h("a", { href: `#item-${fact.position}`, onclick: (event) => { event.preventDefault(); jump(fact.position); } }, text)
    : h("span", {}, text);
  const until = block.clears_at ? h("div", { class: "small muted" }, `until ${fmt.when(block.clears_at)}`) : null;
  return h("li", { "data-rule": block.rule }, h("div", {}, link), until);
}
