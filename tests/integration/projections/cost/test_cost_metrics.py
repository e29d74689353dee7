"""Hand-computed examples of every METRICS.md "Cost view" metric, on real PostgreSQL.

The day's history (T = 20 s, S = 5 s; billing costs 0.02 per handled second, other
queues 0.01, plus 0.50 per answered call):

| call | outcome   | queue   | wait | talk | hold | acw | handled | flags                |
|------|-----------|---------|------|------|------|-----|---------|----------------------|
| 1    | answered  | billing | 10   | 100  | 20   | 30  | 150     | transferred resolved |
| 2    | answered  | billing | 20   | 200  | 0    | 40  | 240     | resolved             |
| 3    | answered  | sales   | 21   | 50   | 10   | 0   | 60      |                      |
| 4    | abandoned | billing | 4    |      |      |     |         | (short: 4 < S)       |
| 5    | abandoned | billing | 5    |      |      |     |         | (not short: 5 = S)   |
| 6    | abandoned | sales   | 30   |      |      |     |         |                      |

Every call is from another customer, so no call repeats another.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from projections.config import ViewConfig
from tests.integration.projections.cost.support import (
    T0,
    abandoned,
    call,
    project,
    record,
    total,
)

CONFIG = ViewConfig(
    cost_per_handled_second={"billing": Decimal("0.02")},
    default_cost_per_handled_second=Decimal("0.01"),
    fixed_cost_per_answered_call=Decimal("0.50"),
)


@pytest.fixture
def day(services):
    record(
        services,
        call(customer_ref="C1", wait_seconds=10, talk_seconds=100, hold_seconds=20,
             after_call_work_seconds=30, transferred=True, resolved=True),
        call(customer_ref="C2", wait_seconds=20, talk_seconds=200, after_call_work_seconds=40,
             resolved=True, occurred_at=T0 + timedelta(minutes=5)),
        call(customer_ref="C3", queue="sales", wait_seconds=21, talk_seconds=50,
             hold_seconds=10, occurred_at=T0 + timedelta(minutes=9)),
        abandoned(4, customer_ref="C4"),
        abandoned(5, customer_ref="C5"),
        abandoned(30, customer_ref="C6", queue="sales"),
    )  # fmt: skip
    project(services, CONFIG)
    return total(services, config=CONFIG)


def test_offered_counts_answered_and_abandoned_calls(day):
    """offered: calls recorded (answered + abandoned)."""
    assert day["offered"] == 3 + 3


def test_answered_and_abandoned_are_counts(day):
    """answered, abandoned: counts."""
    assert (day["answered"], day["abandoned"]) == (3, 3)


def test_short_abandons_are_abandoned_calls_waiting_less_than_s(day):
    """short abandons: abandoned with wait < S (4 s is short, 5 s is not)."""
    assert day["short_abandons"] == 1


def test_asa_is_the_mean_wait_of_answered_calls(day):
    """ASA: sum of wait seconds of answered calls / answered = (10 + 20 + 21) / 3."""
    assert day["asa"] == pytest.approx(51 / 3)


def test_aht_is_the_mean_handled_time_of_answered_calls(day):
    """AHT: sum of (talk + hold + after-call work) of answered calls / answered."""
    assert day["aht"] == pytest.approx((150 + 240 + 60) / 3)
    assert day["handled_seconds"] == 450


def test_service_level_counts_waits_up_to_t_over_offered_less_short_abandons(day):
    """service level: answered with wait <= T / (offered - short abandons): calls 1 and 2
    (20 s = T is inside), over 6 - 1."""
    assert day["service_level"] == pytest.approx(2 / 5)


def test_abandonment_rate_leaves_short_abandons_out(day):
    """abandonment rate: (abandoned - short abandons) / (offered - short abandons)."""
    assert day["abandonment_rate"] == pytest.approx((3 - 1) / (6 - 1))


def test_transfer_rate_is_transferred_over_answered(day):
    """transfer rate: transferred / answered."""
    assert day["transfer_rate"] == pytest.approx(1 / 3)


def test_cost_sums_handled_seconds_times_the_queue_rate_plus_a_fixed_cost(day):
    """cost per contact: sum over answered calls of (handled seconds x cost per handled
    second of the queue + fixed cost per answered call) / answered."""
    billing = (150 + 240) * Decimal("0.02") + 2 * Decimal("0.50")  # 8.80
    sales = 60 * Decimal("0.01") + Decimal("0.50")  # 1.10
    assert day["cost"] == billing + sales
    assert day["cost_per_contact"] == (billing + sales) / 3


def test_fcr_counts_answered_calls_without_a_repeat_once_their_window_closed(day):
    """FCR: answered calls with no later call of the same customer and reason within W /
    answered calls whose window has closed or that have a repeat (3 different customers)."""
    assert (day["fcr_resolved"], day["fcr_eligible"], day["fcr_pending"]) == (3, 3, 0)
    assert day["fcr"] == 1.0
    assert day["repeat_contacts"] == 0


def test_resolved_flags_of_answered_calls_are_counted(day):
    """The agent's resolved flag is a component of its own (FCR does not use it)."""
    assert day["resolved"] == 2


def test_ratios_are_none_when_nothing_was_offered(services):
    """Every ratio is undefined (None) when its denominator is 0."""
    row = total(services)
    assert row["offered"] == 0
    ratios = ("asa", "aht", "service_level", "abandonment_rate", "fcr", "transfer_rate")
    assert [row[name] for name in (*ratios, "cost_per_contact")] == [None] * 7


def test_a_day_of_only_short_abandons_has_no_service_level(services):
    """offered - short abandons = 0: service level and abandonment rate are None."""
    record(services, abandoned(1, customer_ref="C1"), abandoned(2, customer_ref="C2"))
    project(services)
    row = total(services)
    assert (row["offered"], row["short_abandons"]) == (2, 2)
    assert (row["service_level"], row["abandonment_rate"]) == (None, None)


def _spread(total_seconds: int, n: int, swing: int) -> list[int]:
    """``n`` values that are not all equal and sum to ``total_seconds``."""
    base = total_seconds // n
    values = [base + (swing if i % 2 else -swing) for i in range(n - 1)]
    return [*values, total_seconds - sum(values)]


def test_aht_reference_check_from_metrics_md(services):
    """Reference check: talk 668,205 s + hold 99,153 s + after-call work 198,306 s over
    4,311 answered calls -> AHT ~ 224.0 s."""
    n = 4311
    talk, hold, acw = _spread(668_205, n, 17), _spread(99_153, n, 5), _spread(198_306, n, 11)
    assert (sum(talk), sum(hold), sum(acw)) == (668_205, 99_153, 198_306)
    calls = [
        call(customer_ref=f"C{i}", talk_seconds=talk[i], hold_seconds=hold[i],
             after_call_work_seconds=acw[i], occurred_at=T0 + timedelta(seconds=i))
        for i in range(n)
    ]  # fmt: skip
    for start in range(0, n, 1000):
        record(services, *calls[start : start + 1000])
    project(services, page_size=1000)
    row = total(services)
    assert row["answered"] == 4311
    assert round(row["aht"], 1) == 224.0


def test_short_abandons_change_neither_service_level_nor_abandonment(services):
    """short abandons: excluded from service level and abandonment by default. One answered
    call in T and one long abandon give 1/2 and 1/2; three short abandons change neither."""
    record(services, call(customer_ref="C1", wait_seconds=15), abandoned(60, customer_ref="C2"))
    project(services)
    before = total(services)
    record(services, *[abandoned(w, customer_ref=f"S{w}") for w in (0, 2, 4)])
    project(services)
    after = total(services)
    assert (after["offered"], after["short_abandons"]) == (5, 3)
    assert before["service_level"] == after["service_level"] == 1 / 2
    assert before["abandonment_rate"] == after["abandonment_rate"] == 1 / 2
