"""Contact pressure (METRICS.md, "CRM view", contact pressure).

METRICS.md: for each customer, mailshots sent in the trailing 30 days; the view
reports the distribution (0, 1, 2, 3, 4, 5+: 3 and 4 apart) per day and the share of customers over
the configured cap (default 4 per 30 days). Trailing 30 days of day D = send days
D-29 .. D; the population of D = customers the crm view knows by D (registered,
mailed or held back on or before D).

History: c1 is mailed on Jan 1, 5, 10, 20 and 25 (recorded out of order); c2 is
registered on Jan 1 and never mailed; c3 is mailed on Jan 3; c4 is held back on Jan 2
(known, never mailed); c5 registers on Feb 10.
"""

from __future__ import annotations

import pytest

from projections.config import ViewConfig
from tests.integration.projections.crm.support import Crm, jan, jan_day


def record_history(crm: Crm) -> None:
    crm.plan("spring", channel="email")
    crm.register("c2", "gold", when=jan(1))
    crm.register("c5", "gold", when=jan(41))
    crm.send("m3", "c3", "spring", jan(3))
    crm.hold("h4", "c4", "spring", jan(2))
    for n, day in enumerate((25, 1, 20, 5, 10)):
        crm.send(f"m1-{n}", "c1", "spring", jan(day))
        crm.project(page_size=2)  # incrementally, a send at a time


@pytest.fixture
def crm(services) -> Crm:
    crm = Crm(services)
    record_history(crm)
    return crm


def test_the_customer_with_a_fifth_mailshot_in_30_days_crosses_the_cap(crm):
    days = crm.pressure(jan_day(24), jan_day(25))
    before, after = days[jan_day(24)], days[jan_day(25)]
    assert before["customers"] == after["customers"] == 4  # c1..c4; c5 not yet known
    assert before["distribution"] == {"0": 2, "1": 1, "2": 0, "3": 0, "4": 1, "5+": 0}
    assert (before["over_cap"], before["over_cap_share"]) == (0, 0.0)
    assert after["distribution"] == {"0": 2, "1": 1, "2": 0, "3": 0, "4": 0, "5+": 1}
    assert after["over_cap"] == 1
    assert after["over_cap_share"] == pytest.approx(1 / 4)


def test_mailshots_leave_the_trailing_window_after_30_days(crm):
    days = crm.pressure(jan_day(30), jan_day(33))
    assert days[jan_day(30)]["distribution"]["5+"] == 1  # Jan 1 .. Jan 30 holds all five
    assert days[jan_day(31)]["distribution"] == {"0": 2, "1": 1, "2": 0, "3": 0, "4": 1, "5+": 0}
    assert days[jan_day(33)]["distribution"] == {"0": 3, "1": 0, "2": 0, "3": 0, "4": 1, "5+": 0}


def test_the_population_grows_as_customers_become_known(crm):
    days = crm.pressure(jan_day(1), jan_day(45))
    assert [days[jan_day(n)]["customers"] for n in (1, 2, 3, 40, 41)] == [2, 3, 4, 4, 5]


def test_the_cap_is_a_setting(services):
    crm = Crm(services, ViewConfig(pressure_cap=2))
    record_history(crm)
    day = crm.pressure(jan_day(24), jan_day(24))[jan_day(24)]
    assert (day["cap"], day["over_cap"]) == (2, 1)  # c1 has 4 > 2


def test_days_after_the_reference_time_are_not_reported(crm):
    days = crm.pressure(jan_day(20), jan_day(40), at=jan(26))
    assert max(days) == jan_day(26)
    assert crm.pressure(jan_day(27), jan_day(40), at=jan(26)) == {}


def test_a_rebuild_gives_the_same_histogram_as_the_incremental_projection(crm):
    incremental = crm.rows("SELECT day, mailshots, customers FROM crm_pressure ORDER BY 1, 2")
    crm.runner(page_size=1000).rebuild("crm")
    assert crm.rows("SELECT day, mailshots, customers FROM crm_pressure ORDER BY 1, 2") == (
        incremental
    )


def test_analysts_read_the_histogram_from_the_crm_pressure_sql_view(crm):
    rows = crm.rows("SELECT mailshots, customers FROM crm_pressure WHERE day = '2026-01-25'")
    assert sorted(rows) == [(1, 1), (5, 1)]  # c3 with one mailshot, c1 with five
