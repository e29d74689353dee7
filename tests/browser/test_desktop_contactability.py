"""The desktop's "Offer products?" card: the contact policy's answer for the open customer
on the phone (GET /customers/{ref}/contactability), with the reason that blocks linking to
the history item that caused it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests import builders as b
from tests.browser.conftest import open_desktop


def _customer_with(site, ref: str, *, complaint: bool) -> int:
    """Registers ``ref`` with consent to phone marketing; with ``complaint``, a complaint
    call yesterday. The position of the call (or the consent), once the view has it."""
    now = datetime.now(UTC)
    ledger = site.services.ledger
    ledger.record(b.customer(ref, occurred_at=now - timedelta(days=20), phone=None), "t")
    consent = b.consent(
        ref, f"grant-{ref}", channel="phone", granted=True, occurred_at=now - timedelta(days=10)
    )
    position = ledger.record(consent, "t").position
    if complaint:
        call = b.call(
            f"complaint-{ref}", ref, reason="complaint", occurred_at=now - timedelta(days=1)
        )
        position = ledger.record(call, "t").position
    seen = httpx.get(
        f"{site.url}/customers/{ref}",
        params={"min_position": position},
        headers={"X-API-Key": site.agent_key},
        timeout=30,
    )
    assert seen.status_code == 200, seen.text
    return position


def test_a_complaint_yesterday_says_do_not_offer_products_and_links_to_the_call(page, site):
    position = _customer_with(site, "C-918001", complaint=True)

    open_desktop(page, site, "?ref=C-918001")

    expect(page.locator("[data-testid=contact-verdict]")).to_have_text("Don't offer products today")
    reason = page.locator("[data-testid=contact-reasons] li[data-rule=complaint]")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    expect(reason).to_contain_text(f"complaint on {yesterday}: no marketing until")
    reason.locator("a").click()
    expect(page.locator(f"#item-{position}")).to_be_focused()


def test_a_consenting_customer_with_a_quiet_history_may_be_offered_products(page, site):
    _customer_with(site, "C-918002", complaint=False)

    open_desktop(page, site, "?ref=C-918002")

    expect(page.locator("[data-testid=contact-verdict]")).to_have_text("May offer products today")
    expect(page.locator("#contact")).to_have_attribute("data-allowed", "true")
