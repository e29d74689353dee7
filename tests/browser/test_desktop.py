"""The agent desktop in headless Chromium: key, search, the single customer view, live updates."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect

from api.demo.story import story_index
from api.demo.world import customer_ref
from tests.browser.conftest import enter_key, screenshot


def _story(site) -> str:
    return customer_ref(story_index(site.config.customers), site.config.customers)


def _open(page, site, ref: str) -> None:
    page.goto(f"{site.url}/desktop?ref={ref}")
    enter_key(page, site.agent_key)
    expect(page.locator("#customer")).to_be_visible()


def _a_call(ref: str, reason: str) -> dict:
    return {
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "browser-test",
        "source_id": f"call-{uuid.uuid4()}",
        "customer_ref": ref,
        "queue": "cards",
        "agent_id": "A-299",
        "reason": reason,
        "wait_seconds": 12,
        "outcome": "answered",
        "talk_seconds": 200,
        "resolved": True,
    }


def test_the_desktop_asks_for_a_key_then_shows_the_storyline_customer(page, site):
    page.goto(f"{site.url}/desktop?ref={_story(site)}")
    expect(page.locator("#key-dialog")).to_be_visible()

    enter_key(page, site.agent_key)

    expect(page.get_by_test_id("customer-name")).to_have_text("Margaret Okafor")
    expect(page.get_by_test_id("latest-nps")).to_have_text("10")
    expect(page.locator("#why")).to_contain_text("fraud-alerts")
    expect(page.locator("#consent")).to_contain_text("sms: yes")
    expect(page.locator("#timeline li").first).to_contain_text("NPS 10")
    expect(page.locator("#live")).to_have_text("live")
    screenshot(page, "desktop", for_docs=True)


def test_searching_a_reference_shows_that_customer(page, site):
    _open(page, site, _story(site))
    other = customer_ref(1, site.config.customers)

    page.locator("#ref").fill(other)
    page.locator("#search button").click()

    expect(page.locator(".profile-ref")).to_have_text(other)
    expect(page).to_have_url(re.compile(f"ref={other}$"))
    expect(page.locator("#timeline li").first).to_be_visible()


def test_an_unknown_reference_says_so(page, site):
    _open(page, site, _story(site))

    page.locator("#ref").fill("C-NOBODY")
    page.locator("#search button").click()

    expect(page.locator("#notice")).to_contain_text("No customer C-NOBODY")


def test_a_call_recorded_elsewhere_appears_live(page, site):
    ref = customer_ref(2, site.config.customers)
    _open(page, site, ref)
    expect(page.locator("#live")).to_have_text("live")
    before = page.locator("#timeline li").count()

    posted = httpx.post(
        f"{site.url}/interactions/calls",
        json=_a_call(ref, "card-declined"),
        headers={"X-API-Key": site.agent_key},
    )

    assert posted.status_code == 201, posted.text
    position = str(posted.json()["position"])
    newest = page.locator("#timeline li").first
    expect(newest).to_have_attribute("data-position", position)
    expect(newest).to_contain_text("card-declined")
    expect(page.locator("#notice")).to_contain_text(f"CallRecorded (position {position})")
    assert page.locator("#timeline li").count() == min(before + 1, 50)


def test_the_wrap_up_form_records_the_call_and_the_timeline_shows_it(page, site):
    ref = customer_ref(3, site.config.customers)
    _open(page, site, ref)
    expect(page.locator("#live")).to_have_text("live")
    form = page.locator("#wrapup")

    form.locator("[name=queue]").select_option("lending")
    form.locator("[name=reason]").fill("loan-enquiry")
    form.locator("[name=agent_id]").fill("A-301")
    form.locator("[name=talk_seconds]").fill("420")
    form.locator("button[type=submit]").click()

    expect(page.locator("#wrapup-result")).to_contain_text("Recorded at position")
    position = page.locator("#wrapup-result").inner_text().split()[-1].rstrip(".")
    newest = page.locator("#timeline li").first
    expect(newest).to_have_attribute("data-position", position)
    expect(newest).to_contain_text("lending · loan-enquiry")
    expect(newest).to_contain_text("A-301")


def test_an_analyst_key_is_refused_and_the_page_asks_again(page, site):
    page.goto(f"{site.url}/desktop?ref={_story(site)}")
    enter_key(page, site.analyst_key)

    expect(page.locator("#key-message")).to_have_text("That key is not an agent key.")
    enter_key(page, site.agent_key)
    expect(page.get_by_test_id("customer-name")).to_have_text("Margaret Okafor")


def test_revoking_the_key_stops_the_live_updates_and_says_so(page, site):
    principal, key = site.services.keys.create("agent", "browser test agent, revoked")
    page.goto(f"{site.url}/desktop?ref={_story(site)}")
    enter_key(page, key)
    expect(page.locator("#live")).to_have_text("live")

    site.services.keys.revoke(principal.key_id)

    expect(page.locator("#live")).to_have_text("key revoked")
