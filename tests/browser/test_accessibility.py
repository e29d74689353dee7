"""Both pages pass axe-core (vendored in ``vendor/``) with no serious or critical violation.

axe-core checks what a machine can (contrast, names of controls, landmarks, ARIA use);
the keyboard walk and the phone widths are tested in ``test_desktop_layout.py``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from api.demo.story import story_index
from api.demo.world import customer_ref
from tests.browser.conftest import enter_key, open_desktop

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => `${n.target.join(" ")}: ${n.failureSummary}`).slice(0, 5),
  }));
}"""


def _violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol, not a <script> tag: no page policy applies.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return [v for v in page.evaluate(RUN) if v["impact"] in BLOCKING]


def _story(site) -> str:
    return customer_ref(story_index(site.config.customers), site.config.customers)


def test_axe_core_is_the_vendored_release():
    assert AXE.read_text(encoding="utf-8").startswith("/*! axe v4.11.4")


def test_the_desktop_with_a_customer_and_results_has_no_serious_violation(page, site):
    open_desktop(page, site, f"?ref={_story(site)}")
    expect(page.locator("#customer")).to_be_visible()
    page.locator("#q").fill("okafor marg")
    expect(page.locator("#results a").first).to_be_visible()

    assert _violations(page) == []


def test_the_desktop_with_no_customer_for_a_number_has_no_serious_violation(page, site, callers):
    open_desktop(page, site, f"?phone={quote(callers.nobody_phone)}")
    expect(page.locator("#nobody")).to_be_visible()
    expect(page.locator("#wrapup")).to_be_visible()

    assert _violations(page) == []


@pytest.mark.parametrize("width", [390, 768])
def test_the_desktop_at_narrow_widths_has_no_serious_violation(page, site, width):
    page.set_viewport_size({"width": width, "height": 844})
    open_desktop(page, site, f"?ref={_story(site)}")
    expect(page.locator("#customer")).to_be_visible()

    assert _violations(page) == []


def test_the_key_dialog_has_no_serious_violation(page, site):
    page.goto(f"{site.url}/desktop")
    expect(page.locator("#key-dialog")).to_be_visible()

    assert _violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_desktop_in_either_colour_scheme_has_no_serious_violation(page, site, scheme):
    page.emulate_media(color_scheme=scheme)
    open_desktop(page, site, f"?ref={_story(site)}")
    expect(page.locator("#customer")).to_be_visible()

    assert _violations(page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_dashboard_in_either_colour_scheme_has_no_serious_violation(page, site, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{site.url}/dashboard")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    assert _violations(page) == []
