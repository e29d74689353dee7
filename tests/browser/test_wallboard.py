"""The wallboard (issue 17 point 6): today's queues — offered, answered, abandoned, service
level so far against its target, longest wait — pushed live as calls are recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import builders as b
from tests.browser.conftest import enter_key, screenshot
from tests.browser.test_accessibility import _violations


def _open(page, site) -> None:
    page.goto(f"{site.url}/wallboard")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#live")).to_have_text("live")


def _call(n: int, wait: int, outcome: str = "answered"):
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    when = max(now - timedelta(seconds=30), midnight + timedelta(seconds=1))
    extra = {"agent_id": None, "talk_seconds": 0, "hold_seconds": 0, "after_call_work_seconds": 0,
             "resolved": False} if outcome == "abandoned" else {}  # fmt: skip
    return b.call(
        f"wallboard-{n}-{now.timestamp()}", ref="C-000001", occurred_at=when,
        queue="wallboard-test", wait_seconds=wait, outcome=outcome, **extra,
    )  # fmt: skip


def test_the_wallboard_shows_a_new_queue_as_soon_as_its_calls_are_recorded(page, site):
    """METRICS.md, "Cost view": service level = answered within 20 s / (offered - short
    abandons) = 1 / 2 here (answered after 12 s; abandoned after 95 s)."""
    _open(page, site)
    expect(page.locator("tr[data-queue=wallboard-test]")).to_have_count(0)

    site.services.ledger.record(_call(1, 12), "browser-test")
    site.services.ledger.record(_call(2, 95, "abandoned"), "browser-test")

    row = page.locator("tr[data-queue=wallboard-test] td")
    expect(row).to_have_text(["2", "1", "1", "50 % ↓", "1:35"])
    expect(page.locator("#sl-head")).to_have_text("service level (20 s; target 80 %)")
    expect(page.locator("#updated")).to_contain_text("UTC")
    screenshot(page, "wallboard", for_docs=True)


def test_the_wallboard_refuses_an_agent_key_and_asks_again(page, site):
    page.goto(f"{site.url}/wallboard")
    enter_key(page, site.agent_key)

    expect(page.locator("#key-message")).to_have_text("That key is not an analyst key.")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def test_the_wallboard_never_puts_the_key_in_a_url(page, site):
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    _open(page, site)

    assert any(url.endswith("/wallboard/events") for url in urls)
    assert not any(site.analyst_key in url for url in urls)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_wallboard_in_either_colour_scheme_has_no_serious_violation(page, site, scheme):
    page.emulate_media(color_scheme=scheme)
    _open(page, site)

    assert _violations(page) == []
