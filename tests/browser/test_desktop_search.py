"""Finding a customer on the agent desktop: one box for phone, e-mail, name or reference,
masked results, the keyboard (focus on load, "/", Enter, arrows), and the screen pop of
a telephony system from the address (``/desktop?phone=…``, ``?ref=…``, ``&wait=…``)."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
from playwright.sync_api import expect

from api.demo.story import story_index
from api.demo.world import customer_ref
from tests.browser.conftest import open_desktop


def _story(site) -> str:
    return customer_ref(story_index(site.config.customers), site.config.customers)


def _results(page) -> list[str]:
    expect(page.locator("#results-card")).to_be_visible()
    return page.locator("#results a").evaluate_all("links => links.map(a => a.dataset.ref)")


def _api_refs(site, **query: str) -> list[str]:
    answer = httpx.get(f"{site.url}/customers", params=query, headers={"X-API-Key": site.agent_key})
    assert answer.status_code == 200, answer.text
    return [item["customer_ref"] for item in answer.json()["items"]]


def test_the_search_box_has_the_focus_once_the_key_is_entered(page, site):
    open_desktop(page, site)

    expect(page.locator("#q")).to_be_focused()


def test_slash_brings_the_focus_back_to_the_search_box_but_types_in_a_field(page, site):
    open_desktop(page, site, f"?ref={_story(site)}")
    notes = page.locator("#wrapup [name=notes]")
    notes.fill("caller asked about a/b")
    notes.press("/")
    expect(notes).to_have_value("caller asked about a/b/")

    page.locator("#change-key").focus()
    page.keyboard.press("/")

    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value(_story(site))


def test_a_name_in_any_order_and_case_lists_the_customer_with_masked_values(page, site):
    open_desktop(page, site)

    page.locator("#q").fill("OKAFOR marg")

    expect(page.locator(f"#results a[data-ref='{_story(site)}']")).to_be_visible()
    result = page.locator(f"#results a[data-ref='{_story(site)}']")
    expect(result).to_contain_text("M*** O***")
    expect(result).to_contain_text("+44*******417")
    expect(page.locator("#results")).not_to_contain_text("Margaret")
    expect(page.locator("#results")).not_to_contain_text("900417")


def test_enter_opens_the_first_result_in_the_api_s_order(page, site, callers):
    first = _api_refs(site, name="amberley")[0]
    open_desktop(page, site)

    page.locator("#q").fill("Amberley")
    page.locator("#q").press("Enter")

    expect(page.locator(".profile-ref")).to_have_text(first)
    expect(page.locator("#results-card")).to_be_hidden()
    expect(page).to_have_url(re.compile(f"ref={first}$"))


def test_an_e_mail_address_in_any_case_opens_its_customer(page, site):
    open_desktop(page, site)

    page.locator("#q").fill("  Margaret.Okafor@EXAMPLE.com ")
    page.locator("#q").press("Enter")

    expect(page.get_by_test_id("customer-name")).to_have_text("Margaret Okafor")


def test_a_reference_in_any_case_opens_its_customer(page, site):
    open_desktop(page, site)

    page.locator("#q").fill(_story(site).lower())
    page.locator("#q").press("Enter")

    expect(page.locator(".profile-ref")).to_have_text(_story(site))


def test_a_phone_number_in_national_form_finds_its_customer(page, site):
    open_desktop(page, site)

    page.locator("#q").fill("07700 900417")

    expect(page.locator("#results-note")).to_have_text("1 found by phone number")
    expect(page.locator("#results a")).to_have_attribute("data-ref", _story(site))
    expect(page.locator("#results a")).to_contain_text("+44*******417")


def test_the_arrow_keys_walk_the_results_and_enter_opens_one(page, site, callers):
    open_desktop(page, site)
    page.locator("#q").fill("amberley")
    assert sorted(_results(page)) == sorted(callers.shared)
    second = _results(page)[1]

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#results a[data-ref='{second}']")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".profile-ref")).to_have_text(second)


def test_a_search_that_finds_nobody_says_so(page, site):
    open_desktop(page, site)

    page.locator("#q").fill("zzyzx quennellovich")

    expect(page.locator("#results-note")).to_have_text("No customer matches this name.")
    expect(page.locator("#results a")).to_have_count(0)


def test_a_pop_by_phone_with_one_customer_opens_them(page, site, callers):
    open_desktop(page, site, f"?phone={quote(callers.alone_phone)}")

    expect(page.get_by_test_id("customer-name")).to_have_text(callers.alone_name)
    expect(page).to_have_url(re.compile(f"ref={callers.alone}$"))
    expect(page.locator("#live")).to_have_text("live")


def test_a_pop_by_phone_with_several_customers_lists_them_to_pick_one(page, site, callers):
    national = "0" + callers.shared_phone.removeprefix("+44 ")
    open_desktop(page, site, f"?phone={quote(national)}")

    expect(page.locator("#results-note")).to_have_text(
        "2 customers have this phone number: pick one"
    )
    assert sorted(_results(page)) == sorted(callers.shared)
    expect(page.locator("#customer")).to_be_hidden()
    page.locator(f"#results a[data-ref='{callers.shared[1]}']").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("Philippa Amberley")


def test_a_pop_by_phone_with_no_customer_says_so(page, site, callers):
    open_desktop(page, site, f"?phone={quote(callers.nobody_phone)}")

    expect(page.locator("#nobody")).to_be_visible()
    expect(page.locator("#nobody-text")).to_have_text(
        f"No customer has the phone number {callers.nobody_phone}."
    )
    expect(page.locator("#customer")).to_be_hidden()
    expect(page.locator("#live")).not_to_have_text("live")


def test_a_pop_by_reference_in_any_case_opens_the_customer(page, site):
    open_desktop(page, site, f"?ref={_story(site).lower()}")

    expect(page.get_by_test_id("customer-name")).to_have_text("Margaret Okafor")


def test_a_pop_by_an_unknown_reference_says_so(page, site):
    open_desktop(page, site, "?ref=C-NOBODY")

    expect(page.locator("#nobody-text")).to_have_text("No customer has the reference C-NOBODY.")


def test_the_phone_system_s_wait_time_fills_the_wrap_up(page, site, callers):
    open_desktop(page, site, f"?phone={quote(callers.alone_phone)}&wait=42")

    expect(page.get_by_test_id("customer-name")).to_have_text(callers.alone_name)
    expect(page.locator("#wrapup [name=wait_seconds]")).to_have_value("42")
    expect(page).to_have_url(re.compile(f"ref={callers.alone}&wait=42$"))
