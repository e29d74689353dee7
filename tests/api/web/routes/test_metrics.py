"""GET /metrics/...: hand-computed figures from small histories (METRICS.md), JSON and CSV."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from decimal import Decimal

import pytest

from tests import builders as b

RANGE = {"from": "2026-03-01", "to": "2026-03-31", "at": "2026-06-01T00:00:00Z"}
CSV = {"Accept": "text/csv"}


def call(source_id: str, ref: str, queue: str, minutes: int, **over):
    """An answered call with a distinct customer (so no call repeats another)."""
    fields = {"queue": queue, "agent_id": "agent-7", "reason": "bill-query", "hold_seconds": 0}
    fields |= {"after_call_work_seconds": 0, "occurred_at": b.at(minutes)}
    return b.call(source_id, ref=ref, **(fields | over))


def abandoned(source_id: str, ref: str, queue: str, wait: int):
    return call(
        source_id, ref, queue, 0, outcome="abandoned", wait_seconds=wait, talk_seconds=0,
        agent_id=None, resolved=False,
    )  # fmt: skip


@pytest.fixture
def calls(services, catch_up):
    """billing: answered (wait 10, handled 250), answered (wait 30, handled 150), abandoned
    after 3 s (a short abandon, S = 5), abandoned after 40 s; sales: answered (wait 5, 60 s)."""
    for cmd in (
        call("a", "C1", "billing", 0, wait_seconds=10, talk_seconds=200, hold_seconds=20,
             after_call_work_seconds=30),
        call("b", "C2", "billing", 1, wait_seconds=30, talk_seconds=100,
             after_call_work_seconds=50),
        abandoned("c", "C3", "billing", 3),
        abandoned("d", "C4", "billing", 40),
        call("e", "C5", "sales", 2, wait_seconds=5, talk_seconds=60),
    ):  # fmt: skip
        services.ledger.record(cmd, "test")
    catch_up()


def get(client, role_headers, path, **params):
    response = client.get(path, params=RANGE | params, headers=role_headers["analyst"])
    assert response.status_code == 200, response.text
    return response.json()


def test_cost_metrics_per_queue_match_the_definitions(client, role_headers, calls):
    """METRICS.md cost view: ASA = wait of answered / answered; AHT = talk + hold + acw of
    answered / answered; service level = answered with wait <= T (20 s) / (offered - short
    abandons); abandonment = (abandoned - short) / (offered - short); cost per contact =
    (handled s x 0.01 + 0.50 per answered call) / answered (default rates)."""
    rows = get(client, role_headers, "/metrics/cost", group_by="queue")["rows"]

    billing, sales = rows
    assert (billing["queue"], sales["queue"]) == ("billing", "sales")
    assert (billing["offered"], billing["answered"], billing["abandoned"]) == (4, 2, 2)
    assert billing["short_abandons"] == 1
    assert billing["asa"] == pytest.approx((10 + 30) / 2)
    assert billing["aht"] == pytest.approx((250 + 150) / 2)
    assert billing["service_level"] == pytest.approx(1 / 3)
    assert billing["abandonment_rate"] == pytest.approx(1 / 3)
    assert Decimal(billing["cost_per_contact"]) == Decimal("2.50")  # (400 x 0.01 + 2 x 0.50) / 2
    assert (sales["offered"], sales["asa"], sales["aht"], sales["service_level"]) == (1, 5, 60, 1)
    assert Decimal(sales["cost_per_contact"]) == Decimal("1.10")  # 60 x 0.01 + 0.50


def test_a_report_without_breakdowns_is_one_total_row_and_echoes_the_query(
    client, role_headers, calls
):
    report = get(client, role_headers, "/metrics/cost")

    assert [row["offered"] for row in report["rows"]] == [5]
    assert "queue" not in report["rows"][0]  # breakdowns not asked for are absent
    assert (report["from"], report["to"], report["view"]) == ("2026-03-01", "2026-03-31", "cost")
    assert report["at"].startswith("2026-06-01T00:00:00")
    assert report["group_by"] == []
    assert report["view_position"] >= 5


def test_equality_filters_narrow_the_rows(client, role_headers, calls):
    report = get(client, role_headers, "/metrics/cost", queue="sales")

    assert [row["offered"] for row in report["rows"]] == [1]
    assert report["filters"] == {"queue": "sales"}


def test_a_filter_value_is_data_never_sql(client, role_headers, calls):
    report = get(client, role_headers, "/metrics/cost", queue="billing' OR '1'='1")

    assert [row["offered"] for row in report["rows"]] == [0]


def test_group_by_repeated_or_comma_separated_is_the_same_and_keeps_its_order(
    client, role_headers, calls
):
    repeated = get(client, role_headers, "/metrics/cost", group_by=["queue", "day"])
    commas = get(client, role_headers, "/metrics/cost", group_by="queue, day,queue")

    assert repeated["group_by"] == commas["group_by"] == ["queue", "day"]
    assert repeated["rows"] == commas["rows"]
    assert [(r["queue"], r["day"]) for r in repeated["rows"]] == [
        ("billing", "2026-03-02"),
        ("sales", "2026-03-02"),
    ]


def _cell(value) -> str:
    """A JSON value as the CSV shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_csv_has_the_same_rows_as_json_with_a_header_in_a_stable_order(client, role_headers, calls):
    report = get(client, role_headers, "/metrics/cost", group_by="queue,day")
    response = client.get(
        "/metrics/cost",
        params=RANGE | {"group_by": "queue,day"},
        headers=role_headers["analyst"] | CSV,
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header, *lines = list(csv.reader(io.StringIO(response.text)))
    assert header[:3] == ["queue", "day", "offered"]  # breakdowns as asked, then metrics
    assert sorted(header) == sorted(report["rows"][0])  # the same fields as the JSON rows
    assert lines == [[_cell(row[name]) for name in header] for row in report["rows"]]


def test_csv_columns_do_not_depend_on_the_data(client, services, role_headers, catch_up):
    def header(group_by):
        params = RANGE | {"group_by": group_by}
        response = client.get("/metrics/cost", params=params, headers=role_headers["analyst"] | CSV)
        return next(csv.reader(io.StringIO(response.text)))

    before = [header("day"), header("reason,queue")]
    services.ledger.record(call("a", "C1", "billing", 0), "test")
    catch_up()

    assert [header("day"), header("reason,queue")] == before
    assert before[1][:3] == ["reason", "queue", "offered"]


@pytest.mark.parametrize(
    ("accept", "csv_expected"),
    [
        ("text/csv", True),
        ("text/csv;q=0.5, application/json", False),
        ("application/json;q=0.2, text/csv", True),
        ("*/*", False),
        ("text/html", False),
    ],
)
def test_csv_is_served_when_the_client_prefers_it(
    client, role_headers, calls, accept, csv_expected
):
    response = client.get(
        "/metrics/cost", params=RANGE, headers=role_headers["analyst"] | {"Accept": accept}
    )

    assert response.headers["content-type"].startswith("text/csv") is csv_expected


def test_crm_metrics_with_a_control_group_match_the_definitions(
    client, services, role_headers, catch_up
):
    """METRICS.md crm view: delivered = sent - bounced; response rate = responders /
    delivered; cost = unit costs + fixed cost; ROI = (revenue - cost) / cost; control
    response rate = control responders / held back; lift in percentage points."""
    for cmd in (
        b.campaign("spring", fixed_cost="100.00"),
        b.sent("m-1", ref="C1", unit_cost="1.00"),
        b.sent("m-2", ref="C2", unit_cost="1.00"),
        b.sent("m-3", ref="C3", unit_cost="1.00"),
        b.bounced("m-3", customer_ref="C3"),
        b.held_back("m-4", ref="C4"),
        b.responded("m-1"),
        b.converted("m-1", value="50.00"),
        b.responded("m-4", source_id="rsp-4", customer_ref="C4"),
    ):
        services.ledger.record(cmd, "test")
    catch_up()

    (row,) = get(client, role_headers, "/metrics/crm", group_by="campaign")["rows"]

    assert row["campaign"] == "spring"
    assert (row["sent"], row["bounced"], row["delivered"]) == (3, 1, 2)
    assert row["response_rate"] == pytest.approx(1 / 2)
    assert row["conversion_rate"] == pytest.approx(1 / 2)
    assert Decimal(row["cost"]) == Decimal("103.00")
    assert Decimal(row["revenue"]) == Decimal("50.00")
    assert row["roi"] == pytest.approx((50 - 103) / 103)
    assert row["control_held_back"] == 1
    assert row["control_response_rate"] == pytest.approx(1.0)
    assert row["response_lift_pp"] == pytest.approx(100 * (0.5 - 1.0))
    margin = 100 * 1.96 * math.sqrt(0.5 * 0.5 / 2 + 1.0 * 0.0 / 1)
    assert row["response_lift_low_pp"] == pytest.approx(-50 - margin)
    assert row["response_lift_high_pp"] == pytest.approx(-50 + margin)


def test_contact_pressure_counts_customers_by_mailshots_in_the_trailing_30_days(
    client, services, role_headers, catch_up
):
    """METRICS.md: for each customer, mailshots sent in the trailing 30 days; the
    distribution (0, 1, 2, 3, 4, 5+) per day. C1 is mailed twice on 2 March, C2 once."""
    for cmd in (
        b.campaign("spring"),
        b.sent("m-1", ref="C1"),
        b.sent("m-2", ref="C1"),
        b.sent("m-3", ref="C2"),
    ):
        services.ledger.record(cmd, "test")
    catch_up()

    rows = get(
        client, role_headers, "/metrics/crm/contact-pressure", **{"from": "2026-03-02",
        "to": "2026-03-03"},
    )["rows"]  # fmt: skip

    assert [row["day"] for row in rows] == ["2026-03-02", "2026-03-03"]
    for row in rows:
        assert row["customers"] == 2
        assert (row["customers_1"], row["customers_2"], row["customers_5_plus"]) == (1, 1, 0)
        assert row["over_cap"] == 0


@pytest.fixture
def replies(services, catch_up):
    """A promoter (NPS 10, CSAT 4) about a 315 s call (band 3-6), a passive (8, CSAT 2) and a
    detractor (3) with no interaction."""
    services.ledger.record(b.call(), "test")  # talk 240 + hold 30 + acw 45 = 315 s
    for cmd in (
        b.survey("s-1", nps=10, csat=4, effort=None),
        b.survey("s-2", ref="C2", about=None, nps=8, csat=2, effort=None),
        b.survey("s-3", ref="C3", about=None, nps=3, csat=None, effort=None),
    ):
        services.ledger.record(cmd, "test")
    catch_up()


def test_cem_nps_margin_and_csat_match_the_definitions(client, role_headers, replies):
    """METRICS.md cem view: NPS = 100 x (promoters - detractors) / n; margin = 1.96 x 100 x
    sqrt(((p + d) - (p - d)^2) / n); CSAT = replies scoring 4-5 / replies with a CSAT score."""
    (row,) = get(client, role_headers, "/metrics/cem")["rows"]

    assert (row["promoters"], row["passives"], row["detractors"], row["n"]) == (1, 1, 1, 3)
    assert row["nps"] == pytest.approx(0.0)
    p = d = 1 / 3
    assert row["nps_margin"] == pytest.approx(1.96 * 100 * math.sqrt(((p + d) - (p - d) ** 2) / 3))
    assert row["too_few"] is True
    assert row["csat_pct"] == pytest.approx(50.0)


def test_insights_put_nps_by_band_beside_the_volume_of_replies(client, role_headers, replies):
    rows = get(client, role_headers, "/metrics/insights")["rows"]

    by_band = {r["value"]: r for r in rows if r["dimension"] == "handle_time_band"}
    assert set(by_band) == {"3-6", None}
    assert (by_band["3-6"]["replies"], by_band["3-6"]["nps"]) == (1, pytest.approx(100.0))
    assert (by_band[None]["replies"], by_band[None]["nps"]) == (2, pytest.approx(-50.0))
    pressure = [r for r in rows if r["dimension"] == "pressure_band"]
    assert [(r["value"], r["replies"]) for r in pressure] == [("0", 3)]
    assert {r["dimension"] for r in rows} == {"handle_time_band", "repeat_contact", "pressure_band"}


def test_detractors_awaiting_follow_up_are_open_then_expired(client, role_headers, replies):
    """METRICS.md closed loop: a detractor reply not followed within 48 h is open until then,
    expired after."""
    replied = b.at(30)  # when the surveys were answered

    def state_at(moment):
        at = moment.isoformat().replace("+00:00", "Z")
        rows = get(client, role_headers, "/metrics/cem/detractors", at=at)["rows"]
        return [(r["customer_ref"], r["state"]) for r in rows]

    assert state_at(replied + timedelta(hours=1)) == [("C3", "open")]
    assert state_at(replied + timedelta(hours=49)) == [("C3", "expired")]


def test_an_empty_range_gives_a_zero_total_row(client, role_headers, calls):
    rows = get(client, role_headers, "/metrics/cost", **{"from": "2025-01-01", "to": "2025-01-31"})[
        "rows"
    ]

    assert [(row["offered"], row["asa"]) for row in rows] == [(0, None)]
