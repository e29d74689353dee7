"""The dashboard analysts keep open (issue 17 point 6): whole periods by default, partial
ones marked, m:ss for times, "no data" states, top groups and "others" with n, small
samples greyed, the previous period and the target, the centre's locale and currency,
dark mode, and at most one request per panel for a change of filters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import enter_key, screenshot

CHARTS = (
    "chart-volumes", "chart-speed", "chart-abandonment", "chart-funnel", "chart-cpa", "chart-nps",
    "chart-csat", "chart-insight-handle", "chart-insight-repeat", "chart-insight-pressure",
    "chart-pressure",
)  # fmt: skip
# Calls (3 charts), distribution (a table), arrivals, campaigns (2 and the table), pressure,
# experience (2), insights (3).
PANELS = 7
GREY = "rgba(128,136,148,0.55)"


def _open(page, site, query: str = "") -> None:
    page.goto(f"{site.url}/dashboard{query}")
    enter_key(page, site.analyst_key)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def _chart(page, chart: str, expression: str):
    return page.evaluate(
        f"id => {{ const c = Chart.getChart(document.getElementById(id)); return {expression}; }}",
        chart,
    )


def _today() -> date:
    return datetime.now(UTC).date()  # the test centre's zone is UTC


def _api(site, path: str, **params) -> dict:
    answer = httpx.get(
        f"{site.url}{path}", params=params, headers={"X-API-Key": site.analyst_key}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_by_default_the_range_is_the_last_13_complete_weeks(page, site):
    monday = _today() - timedelta(days=_today().weekday())
    last_sunday = monday - timedelta(days=1)

    _open(page, site)

    expect(page.locator("input[name=to]")).to_have_value(last_sunday.isoformat())
    expect(page.locator("input[name=from]")).to_have_value(
        (last_sunday - timedelta(days=90)).isoformat()
    )
    expect(page.locator("select[name=per]")).to_have_value("week")
    expect(page.locator("#partial-note")).to_be_hidden()
    weeks = _chart(page, "chart-volumes", "c.data.labels")
    assert len(weeks) == 13
    assert weeks[0] == (monday - timedelta(weeks=13)).isoformat()


def test_a_range_ending_today_marks_its_last_week_as_partial(page, site):
    monday = _today() - timedelta(days=_today().weekday())
    start = monday - timedelta(weeks=3)

    _open(page, site, f"?from={start}&to={_today()}&per=week")

    ticks = _chart(page, "chart-volumes", "c.scales.x.ticks.map(t => t.label)")
    assert ticks[-1].endswith("*")
    assert not any(tick.endswith("*") for tick in ticks[:-1])
    expect(page.locator("#partial-note")).to_contain_text("Partial weeks")
    expect(page.locator("#status")).to_contain_text("* partial week")


def test_handle_time_is_in_minutes_and_seconds_on_the_axis_in_the_tooltip_and_above(page, site):
    _open(page, site)

    tick = _chart(page, "chart-speed", "c.options.scales.y.ticks.callback(302)")
    tooltip = _chart(
        page, "chart-speed",
        "c.options.plugins.tooltip.callbacks.label({dataset: {label: 'AHT'}, parsed: {y: 302}})",
    )  # fmt: skip

    assert tick == "5:02"
    assert tooltip == "AHT: 5:02"
    aht = page.locator("#call-kpis .kpi", has_text="AHT").locator("b").inner_text()
    assert aht.count(":") == 1


def test_a_range_without_data_says_so_on_every_chart(page, site):
    _open(page, site, "?from=2001-01-01&to=2001-01-28&per=week")

    for chart in CHARTS:
        box = page.locator(f"#{chart}").locator("xpath=..")
        expect(box.locator(".empty-note")).to_be_visible()
        expect(box.locator(".empty-note")).to_have_text("No data for this range")
    expect(page.locator("#arrivals-empty")).to_be_visible()
    expect(page.locator("#distribution-empty")).to_be_visible()
    expect(page.locator("#campaign-table tbody")).to_contain_text("No data for this range")


def test_a_chart_with_data_shows_no_empty_note(page, site):
    _open(page, site)

    for chart in CHARTS:
        expect(page.locator(f"#{chart}").locator("xpath=..").locator(".empty-note")).to_be_hidden()


def test_a_change_of_filters_sends_at_most_one_request_per_panel(page, site):
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if "/metrics/" in request.url else None
    )
    _open(page, site)
    assert len(sent) == PANELS
    sent.clear()

    page.locator("select[name=calls]").select_option("queue")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    by_queue = list(sent)
    sent.clear()
    page.locator("select[name=per]").select_option("month")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    by_month = list(sent)
    sent.clear()
    page.get_by_role("button", name="30 days").click()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")

    assert len(by_queue) == 1
    assert "/metrics/cost?" in by_queue[0]
    assert by_month == []  # the days already fetched are added up per month in the page
    assert len(sent) == PANELS == len(set(sent))
    assert len(sent) <= len(CHARTS)


def test_a_breakdown_shows_the_largest_groups_and_others_each_with_its_n(page, site):
    _open(page, site, "?calls=agent")

    bars = _chart(
        page, "chart-volumes", "c.data.datasets.filter(d => d.type === 'bar').map(d => d.label)"
    )
    screenshot(page, "dashboard-by-agent")
    speed = _chart(page, "chart-speed", "c.data.labels")

    assert len(bars) == 6
    assert bars[-1].startswith("others (n=")
    assert all(" (n=" in label for label in bars)
    assert _chart(page, "chart-speed", "c.config.type") == "bar"
    assert speed[-1].startswith("others (n=")


def test_nps_of_fewer_than_30_replies_is_greyed(page, site):
    yesterday = _today() - timedelta(days=1)
    _open(
        page, site, f"?from={yesterday - timedelta(days=6)}&to={yesterday}&per=day&experience=queue"
    )

    labels = _chart(page, "chart-nps", "c.data.labels")
    colours = _chart(page, "chart-nps", "c.data.datasets[0].backgroundColor")
    sizes = [int(label.split("(n=")[1].rstrip(")").replace(",", "")) for label in labels]

    assert sizes, labels
    assert [colour == GREY for colour in colours] == [n < 30 for n in sizes]
    assert any(n < 30 for n in sizes)
    daily = _chart(page, "chart-volumes", "c.data.labels")
    assert len(daily) == 7


def test_kpis_compare_with_the_previous_period_and_service_level_has_its_target(page, site):
    yesterday = _today() - timedelta(days=1)
    start = yesterday - timedelta(days=13)
    now = _api(site, "/metrics/cost", **{"from": start.isoformat(), "to": yesterday.isoformat()})
    before = _api(
        site,
        "/metrics/cost",
        **{
            "from": (start - timedelta(days=14)).isoformat(),
            "to": (start - timedelta(days=1)).isoformat(),
        },
    )
    change = now["rows"][0]["offered"] - before["rows"][0]["offered"]
    sign = "+" if change > 0 else "\N{MINUS SIGN}" if change < 0 else "±"

    _open(page, site, f"?from={start}&to={yesterday}&per=day")

    offered = page.locator("#call-kpis .kpi").first
    expect(offered.locator(".delta")).to_have_text(f"{sign}{abs(change):,} vs previous")
    target = _chart(
        page,
        "chart-volumes",
        "c.data.datasets.find(d => d.label.startsWith('service-level target')).data",
    )
    assert set(target) == {80}
    expect(page.locator("#call-kpis")).to_contain_text("target 80 %")


def test_numbers_and_money_follow_the_centre_s_locale_and_currency_not_the_browser_s(page, site):
    settings = site.services.settings
    kept = (settings.locale, settings.currency)
    settings.locale, settings.currency = "de-DE", "EUR"
    try:
        yesterday = _today() - timedelta(days=1)
        start = yesterday - timedelta(days=27)
        report = _api(
            site, "/metrics/cost", **{"from": start.isoformat(), "to": yesterday.isoformat()}
        )
        _open(page, site, f"?from={start}&to={yesterday}&per=week")

        offered = f"{report['rows'][0]['offered']:,}".replace(",", ".")
        expect(page.locator("#call-kpis .kpi b").first).to_have_text(offered)
        expect(page.locator("#campaign-table tbody")).to_contain_text("€")
        title = _chart(page, "chart-cpa", "c.options.scales.x.title.text")
        assert title == "EUR per conversion"
        assert page.evaluate("document.documentElement.lang") == "de-DE"
    finally:
        settings.locale, settings.currency = kept


def test_the_dashboard_follows_the_system_s_colour_scheme(page, site):
    page.emulate_media(color_scheme="dark")
    _open(page, site)
    dark = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    screenshot(page, "dashboard-dark")
    page.emulate_media(color_scheme="light")
    light = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")

    assert dark == "rgb(16, 21, 28)"
    assert light == "rgb(243, 245, 248)"
