"""The agent desktop in headless Chromium: the key, the single customer view, live updates,
the agent's words on screen, and the two key traps (Escape, a wrong key)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect

from api.demo.story import story_index
from api.demo.world import customer_ref
from tests.browser.conftest import enter_key, open_desktop, screenshot

INTERNAL_WORDS = re.compile(r"\bposition\b|CallRecorded|\bfacts?\b", re.IGNORECASE)
ZONE = re.compile(r"\b(UTC|GMT|BST|CET|CEST)\b")


def _story(site) -> str:
    return customer_ref(story_index(site.config.customers), site.config.customers)


def _open(page, site, ref: str) -> None:
    open_desktop(page, site, f"?ref={ref}")
    expect(page.locator("#customer")).to_be_visible()


def _a_call(ref: str, reason: str) -> dict:
    return {
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "browser-test",
        "source_id": f"call-{uuid.uuid4()}",
        "customer_ref": ref,
        "queue": "cards",
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
    expect(page.locator("#why")).to_contain_text(re.compile("fraud.alert", re.IGNORECASE))
    expect(page.locator("#consent")).to_contain_text("sms: yes")
    expect(page.locator("#timeline li").first).to_contain_text("NPS 10")
    expect(page.locator("#live")).to_have_text("live")
    screenshot(page, "desktop", for_docs=True)


def test_a_reason_they_may_be_calling_leads_to_its_item_in_the_history(page, site):
    _open(page, site, _story(site))
    link = page.locator("#why a").first
    target = link.get_attribute("href")
    assert target is not None
    assert target.startswith("#item-"), target

    link.click()

    expect(page.locator(target)).to_be_focused()


def test_campaigns_are_shown_by_name_and_times_with_their_zone(page, site):
    _open(page, site, _story(site))
    timeline = page.locator("#timeline")

    expect(timeline).to_contain_text("SMS · Fraud alerts")
    assert "fraud-alerts" not in page.locator("main").inner_text()
    assert ZONE.search(timeline.locator("time").first.inner_text())


def test_a_call_recorded_elsewhere_appears_live_in_the_agent_s_words(page, site):
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
    newest = page.locator("#timeline li").first
    expect(newest).to_have_attribute("data-position", str(posted.json()["position"]))
    expect(newest).to_contain_text("card-declined")
    expect(page.locator("#notice")).to_contain_text("Updated: a call was recorded")
    assert ZONE.search(page.locator("#notice").inner_text())
    assert page.locator("#timeline li").count() == min(before + 1, 50)
    words = INTERNAL_WORDS.findall(page.locator("body").inner_text())
    assert words == [], f"internal words on screen: {words}"


def test_no_internal_word_is_on_screen_for_the_storyline_customer(page, site):
    _open(page, site, _story(site))
    expect(page.locator("#timeline li").first).to_be_visible()

    words = INTERNAL_WORDS.findall(page.locator("body").inner_text())

    assert words == [], f"internal words on screen: {words}"


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


def test_escape_on_the_change_key_dialog_keeps_the_key_and_a_working_page(page, site):
    _open(page, site, _story(site))
    expect(page.locator("#live")).to_have_text("live")

    page.locator("#change-key").click()
    expect(page.locator("#key-dialog")).to_be_visible()
    page.keyboard.press("Escape")

    expect(page.locator("#key-dialog")).to_be_hidden()
    expect(page.locator("#live")).to_have_text("live")
    page.locator("#q").fill(customer_ref(1, site.config.customers))
    page.locator("#q").press("Enter")
    expect(page.locator(".profile-ref")).to_have_text(customer_ref(1, site.config.customers))
    page.locator("#change-key").click()
    expect(page.locator("#key-dialog")).to_be_visible()


def test_escape_on_the_first_key_dialog_leaves_a_page_that_asks_again(page, site):
    page.goto(f"{site.url}/desktop")
    expect(page.locator("#key-dialog")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.locator("#key-dialog")).to_be_hidden()
    expect(page.locator("#notice")).to_contain_text("needs an agent key")
    page.locator("#q").fill(_story(site))
    page.locator("#q").press("Enter")
    expect(page.locator("#key-dialog")).to_be_visible()
    enter_key(page, site.agent_key)
    expect(page.get_by_test_id("customer-name")).to_have_text("Margaret Okafor")
    expect(page.locator("#notice")).to_be_hidden()


def test_after_switching_to_a_wrong_key_the_badge_does_not_say_live(page, site):
    _open(page, site, _story(site))
    expect(page.locator("#live")).to_have_text("live")

    page.locator("#change-key").click()
    enter_key(page, "tp_not-a-key-of-this-server")

    expect(page.locator("#key-message")).to_have_text("That key was not accepted.")
    expect(page.locator("#live")).not_to_have_text("live")
    page.keyboard.press("Escape")
    expect(page.locator("#live")).not_to_have_text("live")
    expect(page.locator("#notice")).to_contain_text("needs an agent key")
    page.locator("#notice button").click()
    enter_key(page, site.agent_key)
    expect(page.locator("#live")).to_have_text("live")
