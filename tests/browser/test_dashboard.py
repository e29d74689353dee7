"""The analyst dashboard in headless Chromium: charts drawn from data, pickers, CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import enter_key, screenshot

CHARTS = (
    "chart-volumes",
    "chart-speed",
    "chart-abandonment",
    "chart-funnel",
    "chart-cpa",
    "chart-nps",
    "chart-csat",
    "chart-insight-handle",
    "chart-insight-repeat",
    "chart-insight-pressure",
    "chart-pressure",
)


def _range(site, days: int) -> tuple[str, str]:
    last = site.config.end - timedelta(days=1)
    return (last - timedelta(days=days - 1)).isoformat(), last.isoformat()


def _open(page, site, query: str = "") -> None:
    page.goto(f"{site.url}/dashboard{query}")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def _labels(page, chart: str) -> list[str]:
    return page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.label)", chart
    )


def test_every_chart_is_drawn_with_data(page, site):
    _open(page, site)

    for chart in CHARTS:
        points = page.locator(f"#{chart}").get_attribute("data-points")
        assert points is not None, chart
        assert int(points) > 0, chart
    expect(page.locator("#call-kpis")).to_contain_text("offered")
    expect(page.locator("#cem-kpis")).to_contain_text("NPS")
    expect(page.locator("#campaign-table tbody tr").first).to_be_visible()
    screenshot(page, "dashboard", for_docs=True)


def test_the_calls_shown_are_the_api_s_totals(page, site):
    start, end = _range(site, 28)
    _open(page, site, f"?from={start}&to={end}&per=day")
    report = httpx.get(
        f"{site.url}/metrics/cost",
        params={"from": start, "to": end},
        headers={"X-API-Key": site.analyst_key},
    ).json()

    offered = report["rows"][0]["offered"]
    expect(page.locator("#call-kpis .kpi b").first).to_have_text(f"{offered:,}")
    days = page.evaluate("Chart.getChart(document.getElementById('chart-volumes')).data.labels")
    assert days[0] == start
    assert days[-1] == end
    assert len(days) == 28


def test_a_breakdown_draws_one_series_per_queue(page, site):
    _open(page, site)

    page.locator("select[name=calls]").select_option("queue")

    expect(page).to_have_url(re.compile(r"calls=queue"))
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    queues = {label.split(" (n=")[0] for label in _labels(page, "chart-volumes")}
    assert {"service", "cards", "lending"} <= queues


def test_the_range_presets_change_the_periods(page, site):
    _open(page, site)

    page.get_by_role("button", name="30 days").click()

    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("select[name=per]")).to_have_value("day")
    days = page.evaluate("Chart.getChart(document.getElementById('chart-nps')).data.labels")
    assert len(days) == 30


def test_the_csv_download_holds_the_rows_of_the_chart(page, site):
    start, end = _range(site, 14)
    _open(page, site, f"?from={start}&to={end}&per=day")

    with page.expect_download() as download:
        page.locator("[data-csv=volumes]").click()

    text = download.value.path().read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert download.value.suggested_filename == "volumes.csv"
    assert rows
    assert {row["day"] for row in rows} <= {
        (site.config.end - timedelta(days=d)).isoformat() for d in range(1, 15)
    }
    chart = page.evaluate(
        "Chart.getChart(document.getElementById('chart-volumes')).data.datasets[0].data"
    )
    assert sum(int(row["answered"]) for row in rows) == sum(v or 0 for v in chart)


def test_an_agent_key_is_refused_and_the_page_asks_again(page, site):
    page.goto(f"{site.url}/dashboard")
    enter_key(page, site.agent_key)

    expect(page.locator("#key-message")).to_have_text("That key is not an analyst key.")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    assert int(page.locator("#chart-volumes").get_attribute("data-points")) > 0


def test_the_pressure_chart_shows_rates_and_nps_by_band_at_the_send(page, site):
    """METRICS.md "conversion by contact pressure": bands 1, 2, 3, 4, 5+ (3 and 4 apart),
    response and conversion rates of sends and of customers beside NPS by band."""
    _open(page, site)

    assert _labels(page, "chart-pressure") == [
        "response rate (sends)", "conversion rate (sends)", "response rate (customers)",
        "NPS (grey: fewer than 30 replies)",
    ]  # fmt: skip
    bands = page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.labels", "chart-pressure"
    )
    assert [label.split(" ")[0] for label in bands] == ["1", "2", "3", "4", "5+"]
