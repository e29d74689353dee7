"""GET /metrics/cost with staffing intervals and /metrics/cost/distribution (issue 14
point 3), in the centre's time zone (here Europe/London), hand-computed (METRICS.md "Cost
view"), plus the API side of the METRICS.md band rules and the customer view's `at`."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tests import builders as b

DAY = {"from": "2026-06-02", "to": "2026-06-02", "at": "2026-09-01T00:00:00Z"}


@pytest.fixture
def settings(settings):
    settings.timezone = "Europe/London"
    return settings


def call(source_id: str, ref: str, clock: tuple[int, int], wait: int, talk: int, **over):
    """A call on 2 June 2026 at ``clock`` (hour, minute) UTC."""
    moment = datetime(2026, 6, 2, *clock, tzinfo=UTC)
    fields = {"occurred_at": moment, "wait_seconds": wait, "talk_seconds": talk}
    fields |= {"hold_seconds": 0, "after_call_work_seconds": 0}
    return b.call(source_id, ref=ref, **(fields | over))


@pytest.fixture
def calls(services, catch_up):
    """2 June 2026 (BST): answered 09:05 (wait 10, talk 100), answered 09:20 (wait 30,
    talk 300), abandoned 09:40 after 50 s, answered 10:10 (wait 15, talk 200)."""
    for cmd in (
        call("a", "C1", (8, 5), 10, 100),
        call("b", "C2", (8, 20), 30, 300),
        call("c", "C3", (8, 40), 50, 0, outcome="abandoned", agent_id=None, resolved=False),
        call("d", "C4", (9, 10), 15, 200),
    ):
        services.ledger.record(cmd, "test")
    catch_up()


def get(client, role_headers, path, **params):
    return client.get(path, params=DAY | params, headers=role_headers["analyst"])


def test_half_hour_intervals_in_local_time_give_the_erlang_c_inputs(client, role_headers, calls):
    """09:00-09:30 BST: 2 offered, 2 answered, ASA (10 + 30) / 2 = 20, AHT (100 + 300) / 2 =
    200, service level 1 / 2 (T = 20). 09:30: 1 abandoned (not short), service level 0,
    abandonment 1. 10:00: 1 answered, ASA 15, AHT 200, service level 1."""
    response = get(client, role_headers, "/metrics/cost", group_by="interval", interval_minutes=30)
    assert response.status_code == 200, response.text
    assert response.json()["interval_minutes"] == 30  # echoed, to reproduce the report
    rows = [
        (r["interval"], r["offered"], r["answered"], r["abandoned"], r["asa"], r["aht"],
         r["service_level"], r["abandonment_rate"])
        for r in response.json()["rows"]
    ]  # fmt: skip
    assert rows == [
        ("2026-06-02T09:00:00+01:00", 2, 2, 0, 20.0, 200.0, 0.5, 0.0),
        ("2026-06-02T09:30:00+01:00", 1, 0, 1, None, None, 0.0, 1.0),
        ("2026-06-02T10:00:00+01:00", 1, 1, 0, 15.0, 200.0, 1.0, 0.0),
    ]


def test_intervals_come_as_csv_with_the_interval_first(client, role_headers, calls):
    response = client.get(
        "/metrics/cost",
        params=DAY | {"group_by": "interval", "interval_minutes": "60"},
        headers=role_headers["analyst"] | {"Accept": "text/csv"},
    )
    assert response.status_code == 200
    header, *lines = list(csv.reader(io.StringIO(response.text)))
    assert header[:2] == ["interval", "offered"]
    assert [(line[0], line[1]) for line in lines] == [
        ("2026-06-02T09:00:00+01:00", "3"),
        ("2026-06-02T10:00:00+01:00", "1"),
    ]


def test_weekday_by_time_of_day_counts_arrivals(client, role_headers, calls):
    """2 June 2026 is a Tuesday (ISO 2)."""
    response = get(client, role_headers, "/metrics/cost", group_by="weekday,time_of_day")
    cells = [(r["weekday"], r["time_of_day"], r["offered"]) for r in response.json()["rows"]]
    assert cells == [(2, "09:00", 1), (2, "09:15", 1), (2, "09:30", 1), (2, "10:00", 1)]


@pytest.mark.parametrize("minutes", ["20", "0", "15.0", "-15"])
def test_an_interval_length_other_than_15_30_60_is_refused(client, role_headers, minutes):
    response = get(client, role_headers, "/metrics/cost", interval_minutes=minutes)
    assert response.status_code == 422
    assert "interval_minutes" in response.text


def test_wait_and_handle_percentiles_by_hand(client, role_headers, calls):
    """Answered waits 10, 15, 30 (n = 3): p50 rank 2 = 15, p80 rank ceil(2.4) = 3 = 30.
    Handled 100, 200, 300: p50 200, p95 300. Abandoned wait 50."""
    response = get(client, role_headers, "/metrics/cost/distribution")
    assert response.status_code == 200, response.text
    rows = {r["measure"]: r for r in response.json()["rows"]}
    assert [rows["wait"][k] for k in ("calls", "p50", "p80", "p90", "p95", "max")] == [
        3, 15, 30, 30, 30, 30
    ]  # fmt: skip
    assert [rows["handle"][k] for k in ("p50", "p80", "p95", "exact")] == [200, 300, 300, True]
    assert (rows["abandon_wait"]["calls"], rows["abandon_wait"]["p50"]) == (1, 50)


def test_the_distribution_has_no_staffing_intervals(client, role_headers):
    response = get(client, role_headers, "/metrics/cost/distribution", group_by="interval")
    assert response.status_code == 422
    assert "weekday" in response.text  # the allowed breakdowns are listed


def test_cem_pressure_bands_keep_3_and_4_apart(client, role_headers):
    """METRICS.md "CRM view", contact pressure: bands 0, 1, 2, 3, 4, 5+; the old "3-4" is
    no band any more."""
    assert get(client, role_headers, "/metrics/cem", pressure_band="3").status_code == 200
    assert get(client, role_headers, "/metrics/cem", pressure_band="4").status_code == 200
    assert get(client, role_headers, "/metrics/cem", pressure_band="3-4").status_code == 422


def test_the_customer_views_at_is_documented_as_the_reference_time_not_the_past(client):
    """Issue 14 point 4: `at` is the reference time of the profile's windows; lifetime
    counts and last contact include later facts; `as_of` is the view of the past."""
    operation = client.get("/openapi.json").json()["paths"]["/customers/{ref}"]["get"]
    [at] = [p for p in operation["parameters"] if p["name"] == "at"]
    text = at["description"]
    assert "not a view of the past" in text
    assert "lifetime counts, last contact" in text
    assert "`as_of`" in text
