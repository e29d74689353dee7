"""The dashboard's analyst panels of issue 14: the distribution of wait and handle times
(median and percentiles per queue, m:ss), the per-customer rates and the uncredited
responses and conversions of the campaign table, and telemarketing (channel ``phone``)
among the channels. Facts recorded on days the demo history never touches, so every
figure is hand-computed (METRICS.md, "Cost view" and "CRM view")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests import builders as b
from tests.browser.conftest import enter_key

CALL_DAY = datetime(2003, 5, 6, 9, 0, tzinfo=UTC)  # no demo call that day
SEND_DAY = datetime(2004, 3, 1, 9, 0, tzinfo=UTC)  # no demo campaign that day


def _open(page, site, query: str) -> None:
    page.goto(f"{site.url}/dashboard{query}")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def _record(site, commands) -> int:
    return max(site.services.ledger.record(cmd, "browser-test").position or 0 for cmd in commands)


def _caught_up(site, path: str, position: int, day: datetime) -> None:
    """Waits (read-your-writes) until the view behind ``path`` has applied ``position``."""
    answer = httpx.get(
        f"{site.url}{path}",
        params={"from": str(day.date()), "to": str(day.date()), "min_position": position},
        headers={"X-API-Key": site.analyst_key},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def _call(n: int, wait: int, talk: int, **over) -> object:
    fields = {
        "occurred_at": CALL_DAY + timedelta(minutes=10 * n), "queue": "percentiles",
        "wait_seconds": wait, "talk_seconds": talk, "hold_seconds": 0,
        "after_call_work_seconds": 0,
    }  # fmt: skip
    return b.call(f"dist-{n}", ref=f"C-DIST-{n}", **(fields | over))


def test_the_distribution_shows_median_and_percentiles_per_queue_in_minutes(page, site):
    """Answered waits 10, 20, 30, 40, 250 s (nearest rank of 5 calls): median the 3rd, 0:30;
    p80 the 4th, 0:40; p90 and p95 the 5th, 4:10. Handle times 60…300 s: median 3:00.
    One abandoned call after 75 s: every figure 1:15."""
    calls = [_call(n, wait, 60 * n) for n, wait in enumerate((10, 20, 30, 40, 250), start=1)]
    calls.append(_call(6, 75, 0, outcome="abandoned", agent_id=None, resolved=False))
    _caught_up(site, "/metrics/cost/distribution", _record(site, calls), CALL_DAY)

    _open(page, site, f"?from={CALL_DAY.date()}&to={CALL_DAY.date()}&per=day")

    table = page.locator("#distribution-table")
    figures = {
        measure: table.locator(f"tr[data-queue=percentiles][data-measure={measure}] td[data-p]")
        for measure in ("wait", "handle", "abandon_wait")
    }
    expect(figures["wait"]).to_have_text(["0:30", "0:40", "4:10", "4:10", "4:10"])
    expect(figures["handle"]).to_have_text(["3:00", "4:00", "5:00", "5:00", "5:00"])
    expect(figures["abandon_wait"]).to_have_text(["1:15"] * 5)
    expect(table.locator("thead th")).to_have_text(
        ["queue", "measure", "calls", "median", "p80", "p90", "p95", "longest"]
    )
    expect(page.locator("#distribution-empty")).to_be_hidden()


def test_a_range_without_calls_says_so_in_the_distribution(page, site):
    _open(page, site, "?from=2001-01-01&to=2001-01-28&per=week")

    expect(page.locator("#distribution-empty")).to_be_visible()
    expect(page.locator("#distribution-table tbody tr")).to_have_count(0)


def _telemarketing() -> list[object]:
    """Campaign dash-tm by phone, window 30 days. Call 1 to C-TM-1 does not reach (bounced);
    a response and a conversion of 50.00 are recorded against it anyway. Call 2 reaches
    C-TM-2, who responds the next day (credited) and converts after 40 days, 80.00
    (outside the window)."""
    day = timedelta(days=1)
    plan = b.campaign(
        "dash-tm", occurred_at=SEND_DAY - 7 * day, channel="phone", fixed_cost="0.00",
        source_id="plan-dash-tm",
    )  # fmt: skip
    people = [b.customer(ref, source_id=f"reg-{ref}", occurred_at=SEND_DAY - 30 * day)
              for ref in ("C-TM-1", "C-TM-2")]  # fmt: skip

    def follow(kind, mailshot, source_id, ref, when, **over):
        return kind(mailshot, source_id, customer_ref=ref, occurred_at=when, **over)

    sends = [
        b.sent(f"tm-{n}", "dash-tm", f"C-TM-{n}", occurred_at=SEND_DAY, channel="phone")
        for n in (1, 2)
    ]
    return [
        plan, *people, *sends,
        follow(b.bounced, "tm-1", "tm-bnc-1", "C-TM-1", SEND_DAY + timedelta(minutes=5)),
        follow(b.responded, "tm-1", "tm-rsp-1", "C-TM-1", SEND_DAY + day),
        follow(b.converted, "tm-1", "tm-cnv-1", "C-TM-1", SEND_DAY + 2 * day, value="50.00"),
        follow(b.delivered, "tm-2", "tm-dlv-2", "C-TM-2", SEND_DAY + timedelta(minutes=5)),
        follow(b.responded, "tm-2", "tm-rsp-2", "C-TM-2", SEND_DAY + day),
        follow(b.converted, "tm-2", "tm-cnv-2", "C-TM-2", SEND_DAY + 40 * day, value="80.00"),
    ]  # fmt: skip


def test_campaigns_show_per_customer_rates_uncredited_facts_and_telemarketing(page, site):
    """2 dialled, 1 reached (C-TM-2), who responded: customers reached 1, responding 100 %,
    converting 0 % (the conversion came after the window). Uncredited: outside the window
    0 responses, 1 conversion, £80.00; of the bounced call 1 response, 1 conversion,
    £50.00."""
    _caught_up(site, "/metrics/crm", _record(site, _telemarketing()), SEND_DAY)
    last = SEND_DAY.date() + timedelta(days=45)

    _open(page, site, f"?from={SEND_DAY.date()}&to={last}&per=week&campaigns=channel")

    row = page.locator("#campaign-table tbody tr", has_text="phone (telemarketing)")
    head = page.locator("#campaign-table thead th").all_inner_texts()
    cells = row.locator("td").all_inner_texts()
    shown = dict(zip(head, cells, strict=True))
    assert shown["channel"] == "phone (telemarketing)"
    assert (shown["sent"], shown["delivered"]) == ("2", "1")
    assert shown["customers reached"] == "1"
    assert shown["customers responding"] == "100.00 %"
    assert shown["customers converting"] == "0.00 %"
    uncredited = page.locator("#uncredited-table tbody tr")
    expect(uncredited.locator("th")).to_have_text(["phone (telemarketing)"] * 2)
    expect(uncredited.nth(0).locator("td")).to_have_text(["outside the window", "0", "1", "£80.00"])
    expect(uncredited.nth(1).locator("td")).to_have_text(
        ["of a bounced send (phone: not reached)", "1", "1", "£50.00"]
    )
