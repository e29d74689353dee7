"""The agent desktop at phone and tablet widths, and with the keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from api.demo.story import story_index
from api.demo.world import customer_ref
from tests.browser.conftest import open_desktop, screenshot

# A control's name in the walks below: its id, name, reference, link or text.
NAME = "el.id || el.name || el.dataset.ref || el.getAttribute('href') || el.textContent.trim()"
# Every control a user can see.
CONTROLS = "a[href], button, input, select, textarea"
VISIBLE_CONTROLS = f"""() => [...document.querySelectorAll('{CONTROLS}')]
  .filter(el => el.checkVisibility() && !el.disabled && !el.closest('dialog:not([open])'))
  .map(el => {NAME})"""
FOCUSED = f"() => {{ const el = document.activeElement; return {NAME}; }}"
OUTSIDE = """() => [...document.querySelectorAll('button, input, select, textarea, a[href]')]
  .filter(el => el.checkVisibility())
  .map(el => [el.id || el.name || el.textContent.trim(), el.getBoundingClientRect()])
  .filter(([, box]) => box.left < 0 || box.right > window.innerWidth + 0.5 || box.width === 0)
  .map(([name]) => name)"""


def _story(site) -> str:
    return customer_ref(story_index(site.config.customers), site.config.customers)


def _tab_walk(page, steps: int = 150) -> list[str]:
    """The controls Tab visits from the search box, in order, until it comes back."""
    page.locator("#q").focus()
    seen: list[str] = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        name = page.evaluate(FOCUSED)
        if name == "q":
            return seen
        seen.append(name)
    return seen


def test_tab_reaches_every_control_on_the_page(page, site):
    open_desktop(page, site, f"?ref={_story(site)}")
    expect(page.locator("#customer")).to_be_visible()
    page.locator("#q").fill("okafor marg")
    expect(page.locator("#results a").first).to_be_visible()

    visited = set(_tab_walk(page))

    controls = set(page.evaluate(VISIBLE_CONTROLS))
    assert controls - visited - {"q"} == set()
    assert {"change-key", "reason", "notes", "Record call", _story(site)} <= visited
    assert any(name.startswith("#item-") for name in visited)  # why they may be calling
    assert (
        page.evaluate("document.querySelectorAll('[tabindex]:not([tabindex=\"-1\"])').length") == 0
    )


@pytest.mark.parametrize("width", [390, 768])
def test_nothing_is_wider_than_a_phone_or_tablet_and_every_button_works(page, site, width):
    page.set_viewport_size({"width": width, "height": 844})
    ref = customer_ref(12 if width < 700 else 13, site.config.customers)
    open_desktop(page, site, f"?ref={ref}")
    expect(page.locator("#customer")).to_be_visible()
    page.locator("#q").fill("okafor marg")
    expect(page.locator("#results a").first).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
    assert page.evaluate(OUTSIDE) == []
    screenshot(page, f"desktop-{width}")

    page.locator("#q").press("Escape")
    expect(page.locator("#results-card")).to_be_hidden()
    page.locator("#wrapup [name=reason]").select_option("fraud-alert")
    page.locator("#wrapup button[type=submit]").click()
    expect(page.locator("#wrapup-result")).to_contain_text("Call recorded")
    page.locator("#change-key").click()
    expect(page.locator("#key-dialog")).to_be_visible()
    assert page.evaluate(OUTSIDE) == []
    page.locator("#key-dialog [data-cancel]").click()
    expect(page.locator("#key-dialog")).to_be_hidden()
