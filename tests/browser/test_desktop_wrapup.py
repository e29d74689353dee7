"""The wrap-up form of the agent desktop: the centre's reasons, notes, the agent from the
key, and a call recorded once however often it is sent (the idempotency id is made when
the form opens), then a fresh form."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from api.demo.world import customer_ref
from tests.browser.conftest import enter_key, open_desktop

AGENT_NAME = "browser test agent"  # the name of the site's agent key (conftest)


def _open(page, site, index: int, query: str = "") -> str:
    ref = customer_ref(index, site.config.customers)
    open_desktop(page, site, f"?ref={ref}{query}")
    expect(page.locator("#customer")).to_be_visible()
    expect(page.locator("#live")).to_have_text("live")
    return ref


def _fill(page, reason: str = "loan-enquiry", notes: str = "") -> None:
    form = page.locator("#wrapup")
    form.locator("[name=queue]").select_option("lending")
    form.locator("[name=reason]").select_option(reason)
    form.locator("[name=talk_seconds]").fill("420")
    form.locator("[name=notes]").fill(notes)


def _calls_with(page, site, ref: str, source_id: str) -> list[dict]:
    """The calls in the customer's history (as the API has it) with this idempotency id."""
    position = page.locator("#wrapup-result").get_attribute("data-position")
    answer = httpx.get(
        f"{site.url}/customers/{ref}/timeline",
        params={"limit": 200, "min_position": position},
        headers={"X-API-Key": site.agent_key},
    )
    assert answer.status_code == 200, answer.text
    return [item for item in answer.json()["items"] if item["source_id"] == source_id]


def test_the_wrap_up_records_the_call_with_notes_and_the_key_s_name(page, site):
    ref = _open(page, site, 3)
    _fill(page, notes="Wants the rate fixed for 5 years.")

    page.locator("#wrapup button[type=submit]").click()

    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    position = page.locator("#wrapup-result").get_attribute("data-position")
    newest = page.locator("#timeline li").first
    expect(newest).to_have_attribute("data-position", str(position))
    expect(newest).to_contain_text("lending · loan-enquiry")
    expect(newest).to_contain_text(AGENT_NAME)
    expect(newest).to_contain_text("Wants the rate fixed for 5 years.")
    assert page.locator("#wrapup [name=agent_id]").count() == 0  # never typed
    assert ref


def test_the_idempotency_id_is_made_when_the_form_opens_not_at_submit(page, site):
    ref = _open(page, site, 4)
    opened_with = page.locator("#wrapup").get_attribute("data-source-id")
    _fill(page)

    with page.expect_request("**/interactions/calls") as sent:
        page.locator("#wrapup button[type=submit]").click()

    assert json.loads(sent.value.post_data or "{}")["source_id"] == opened_with
    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    assert len(_calls_with(page, site, ref, str(opened_with))) == 1


def test_a_double_click_records_the_call_once(page, site):
    ref = _open(page, site, 5)
    source_id = str(page.locator("#wrapup").get_attribute("data-source-id"))
    _fill(page)

    page.locator("#wrapup button[type=submit]").dblclick()

    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    expect(page.locator(f"#timeline li[data-source-id='{source_id}']")).to_have_count(1)
    assert len(_calls_with(page, site, ref, source_id)) == 1


def test_a_retry_after_a_lost_answer_records_the_call_once(page, site):
    ref = _open(page, site, 6)
    source_id = str(page.locator("#wrapup").get_attribute("data-source-id"))
    sent: list[str] = []

    def lose_the_first_answer(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}")["source_id"])
        if len(sent) == 1:
            route.fetch()  # the call reaches the API and is recorded ...
            route.abort("connectionreset")  # ... but the answer never reaches the page
        else:
            route.continue_()

    page.route("**/interactions/calls", lose_the_first_answer)
    _fill(page)
    page.locator("#wrapup button[type=submit]").click()
    expect(page.locator("#wrapup-result")).to_contain_text("the network failed")
    page.locator("#wrapup button[type=submit]").click()

    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    assert sent == [source_id, source_id]
    assert len(_calls_with(page, site, ref, source_id)) == 1


def test_after_a_call_is_recorded_the_form_is_new_again(page, site):
    _open(page, site, 8, "&wait=37")
    form = page.locator("#wrapup")
    first_id = form.get_attribute("data-source-id")
    expect(form.locator("[name=wait_seconds]")).to_have_value("37")
    _fill(page, notes="first call")

    form.locator("button[type=submit]").click()

    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    assert form.get_attribute("data-source-id") not in (None, first_id)
    expect(form.locator("[name=notes]")).to_have_value("")
    expect(form.locator("[name=reason]")).to_have_value("")
    expect(form.locator("[name=wait_seconds]")).to_have_value("0")
    expect(page).not_to_have_url(re.compile("wait="))
    expect(page.locator("#timeline li").first).to_contain_text("answered in 37 s")


def test_a_reason_is_required_and_said_so(page, site):
    _open(page, site, 9)

    page.locator("#wrapup button[type=submit]").click()

    expect(page.locator("#wrapup-result")).to_have_text("Fill in “Reason”.")
    expect(page.locator("#wrapup [name=reason]")).to_be_focused()


def test_a_wrap_up_refused_for_the_key_then_escape_says_what_is_needed(page, site):
    principal, key = site.services.keys.create("agent", "browser test agent, soon revoked")
    page.goto(f"{site.url}/desktop?ref={customer_ref(14, site.config.customers)}")
    enter_key(page, key)
    expect(page.locator("#customer")).to_be_visible()
    _fill(page)
    site.services.keys.revoke(principal.key_id)

    page.locator("#wrapup button[type=submit]").click()
    expect(page.locator("#key-message")).to_have_text("That key was not accepted.")
    page.keyboard.press("Escape")

    expect(page.locator("#wrapup-result")).to_have_text("Not recorded.")
    expect(page.locator("#notice")).to_contain_text("needs an agent key")
    expect(page.locator("#wrapup button[type=submit]")).to_be_enabled()


def test_a_caller_nobody_knows_is_wrapped_up_by_their_number(page, site, callers):
    open_desktop(page, site, f"?phone={quote(callers.stranger_phone)}&wait=15")
    expect(page.locator("#nobody")).to_be_visible()
    form = page.locator("#wrapup")
    expect(form).to_be_visible()
    expect(page.locator("#wrapup-for")).to_contain_text(callers.stranger_phone)
    expect(form.locator("[name=wait_seconds]")).to_have_value("15")
    form.locator("[name=reason]").select_option("card-lost")

    with page.expect_response("**/interactions/calls") as answer:
        form.locator("button[type=submit]").click()

    sent = json.loads(answer.value.request.post_data or "{}")
    assert sent["caller_number"] == callers.stranger_phone
    assert "customer_ref" not in sent
    assert answer.value.status == 201
    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    expect(form.locator("[name=wait_seconds]")).to_have_value("0")


@contextmanager
def _published(site, reasons: list[tuple[str, str]], *, free_text: bool) -> Iterator[None]:
    """The centre publishes ``reasons``; the list in force before comes back afterwards."""
    _, admin = site.services.keys.create("admin", "browser test admin")
    headers = {"X-API-Key": admin}
    before = httpx.get(f"{site.url}/call-reasons", headers=headers).json()
    body = {
        "reasons": [{"code": code, "label": label} for code, label in reasons],
        "free_text_allowed": free_text,
    }
    answer = httpx.put(f"{site.url}/call-reasons", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    try:
        yield
    finally:
        restore = {"reasons": before["reasons"], "free_text_allowed": before["free_text_allowed"]}
        assert httpx.put(f"{site.url}/call-reasons", json=restore, headers=headers).is_success


SHORT_LIST = [("card-lost", "Card lost or stolen"), ("pin-reset", "PIN reset")]


def test_the_reasons_offered_are_the_centre_s_list_without_other(page, site):
    with _published(site, SHORT_LIST, free_text=False):
        _open(page, site, 11)

        options = page.locator("#wrapup [name=reason] option")

        expect(options).to_have_text(["Choose a reason…", "Card lost or stolen", "PIN reset"])
        expect(page.locator("#reason-other-label")).to_be_hidden()


def test_another_reason_is_typed_where_the_centre_allows_free_text(page, site):
    with _published(site, SHORT_LIST, free_text=True):
        _open(page, site, 10)
        form = page.locator("#wrapup")
        expect(form.locator("[name=reason] option").last).to_have_text("Other (type it)")
        form.locator("[name=reason]").select_option(label="Other (type it)")
        form.locator("[name=reason_other]").fill("lost-chequebook")

        form.locator("button[type=submit]").click()

        expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
        expect(page.locator("#timeline li").first).to_contain_text("lost-chequebook")
