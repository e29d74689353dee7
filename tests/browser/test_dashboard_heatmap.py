"""The dashboard's arrivals heat map (issue 14 point 3): calls offered per hour and weekday,
averaged over the days of each weekday in the range, as the cost API counts them."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import enter_key

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def test_the_heat_map_shows_the_api_s_arrivals_per_weekday_and_hour(page, site):
    last = site.config.end - timedelta(days=1)
    start = last - timedelta(days=27)  # four whole weeks: each weekday 4 times
    page.goto(f"{site.url}/dashboard?from={start}&to={last}&per=week")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    report = httpx.get(
        f"{site.url}/metrics/cost",
        params={"from": str(start), "to": str(last), "group_by": "weekday,time_of_day",
                "interval_minutes": "60"},
        headers={"X-API-Key": site.analyst_key},
    ).json()  # fmt: skip
    days = Counter(date.fromordinal(start.toordinal() + i).isoweekday() for i in range(28))
    assert set(days.values()) == {4}

    table = page.locator("#arrivals-heatmap")
    assert int(table.get_attribute("data-cells") or 0) == len(report["rows"]) > 0
    busiest = max(report["rows"], key=lambda r: r["offered"])
    row = table.locator("tbody tr", has=page.locator(f"th:text-is('{busiest['time_of_day']}')"))
    cell = row.locator("td").nth(busiest["weekday"] - 1)
    assert float(cell.get_attribute("data-value") or 0) == round(busiest["offered"] / 4, 3)
    expect(table.locator("thead th")).to_have_text(["time", *WEEKDAYS])
