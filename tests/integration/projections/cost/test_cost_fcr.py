"""FCR, repeat contacts and pending calls (METRICS.md "Cost view", FCR and repeat contacts).

FCR: answered calls with no later answered or abandoned call from the same customer
with the same reason within W / answered calls whose window W has closed or that already
have a repeat; calls whose window is still open and have no repeat are "pending".
Every "within" includes its end. W = 7 days.
"""

from __future__ import annotations

from datetime import timedelta

from tests.integration.projections.cost.support import (
    DAY,
    T0,
    abandoned,
    call,
    metrics,
    project,
    record,
    total,
)

W = timedelta(days=7)


def fcr_counts(row):
    return {
        k: row[k] for k in ("fcr", "fcr_resolved", "fcr_eligible", "fcr_pending", "repeat_contacts")
    }


def test_a_repeat_arriving_after_the_first_day_was_projected_changes_its_fcr(services):
    """The first call's day is projected as resolved; its repeat 3 days later arrives
    afterwards and turns it into an FCR failure, retroactively."""
    record(services, call(customer_ref="C1", occurred_at=T0))
    project(services)
    assert fcr_counts(total(services)) == {
        "fcr": 1.0, "fcr_resolved": 1, "fcr_eligible": 1, "fcr_pending": 0, "repeat_contacts": 0
    }  # fmt: skip
    record(services, call(customer_ref="C1", occurred_at=T0 + timedelta(days=3)))
    project(services)
    first_day, repeat_day = metrics(services, group_by=("day",))
    assert first_day["day"] == DAY
    assert fcr_counts(first_day) == {
        "fcr": 0.0, "fcr_resolved": 0, "fcr_eligible": 1, "fcr_pending": 0, "repeat_contacts": 0
    }  # fmt: skip
    # The repeat is itself answered, has no repeat, and its window has closed.
    assert fcr_counts(repeat_day) == {
        "fcr": 1.0, "fcr_resolved": 1, "fcr_eligible": 1, "fcr_pending": 0, "repeat_contacts": 1
    }  # fmt: skip


def test_an_earlier_call_recorded_after_its_repeat_is_linked_to_it(services):
    """Facts arrive out of occurred_at order: the repeat is in the log first."""
    record(services, abandoned(30, customer_ref="C1", occurred_at=T0 + timedelta(days=2)))
    project(services)
    assert total(services)["repeat_contacts"] == 0
    record(services, call(customer_ref="C1", occurred_at=T0))
    project(services)
    row = total(services)
    assert (row["repeat_contacts"], row["fcr_resolved"], row["fcr_eligible"]) == (1, 0, 1)


def test_a_repeat_exactly_seven_days_later_counts(services):
    """'Every within includes its end': a repeat exactly W later is a repeat."""
    record(
        services,
        call(customer_ref="C1", occurred_at=T0),
        call(customer_ref="C1", occurred_at=T0 + W),
    )
    project(services)
    first, _ = metrics(services, group_by=("day",))
    assert (first["fcr_resolved"], first["fcr_eligible"]) == (0, 1)
    assert total(services)["repeat_contacts"] == 1


def test_a_call_seven_days_and_one_second_later_is_not_a_repeat(services):
    record(
        services,
        call(customer_ref="C1", occurred_at=T0),
        call(customer_ref="C1", occurred_at=T0 + W + timedelta(seconds=1)),
    )
    project(services)
    row = total(services)
    assert (row["fcr_resolved"], row["fcr_eligible"], row["repeat_contacts"]) == (2, 2, 0)


def test_only_the_same_customer_with_the_same_reason_repeats(services):
    record(
        services,
        call(customer_ref="C1", reason="bill", occurred_at=T0),
        call(customer_ref="C1", reason="move", occurred_at=T0 + timedelta(hours=1)),
        call(customer_ref="C2", reason="bill", occurred_at=T0 + timedelta(hours=2)),
    )
    project(services)
    row = total(services)
    assert (row["fcr_resolved"], row["fcr_eligible"], row["repeat_contacts"]) == (3, 3, 0)


def test_a_repeat_of_a_repeat_fails_both_earlier_calls(services):
    """Three answered calls a day apart: the first two each have a later call within W."""
    record(
        services, *[call(customer_ref="C1", occurred_at=T0 + timedelta(days=d)) for d in (0, 1, 2)]
    )
    project(services)
    row = total(services)
    assert (row["fcr_resolved"], row["fcr_eligible"], row["repeat_contacts"]) == (1, 3, 2)
    assert row["fcr"] == 1 / 3


def test_an_abandoned_first_call_has_no_fcr_and_no_repeats(services):
    """FCR is about answered calls; a call after an abandoned one is not its repeat."""
    record(
        services,
        abandoned(40, customer_ref="C1", occurred_at=T0),
        call(customer_ref="C1", occurred_at=T0 + timedelta(hours=1)),
    )
    project(services)
    row = total(services)
    assert (row["fcr_resolved"], row["fcr_eligible"], row["repeat_contacts"]) == (1, 1, 0)


def test_a_call_is_pending_while_its_window_is_open(services):
    """Window open and no repeat yet: pending, neither resolved nor eligible (at T0 + 3 days
    and one second before T0 + W)."""
    record(services, call(customer_ref="C1", occurred_at=T0))
    project(services)
    for at in (T0 + timedelta(days=3), T0 + W - timedelta(seconds=1)):
        assert fcr_counts(total(services, at=at)) == {
            "fcr": None, "fcr_resolved": 0, "fcr_eligible": 0, "fcr_pending": 1,
            "repeat_contacts": 0,
        }  # fmt: skip


def test_the_window_is_closed_from_its_end_instant_on(services):
    """METRICS.md (preamble, "A window is closed from its end instant on"): with at =
    T0 + W exactly, the call without a repeat is decided, resolved, never pending."""
    record(services, call(customer_ref="C1", occurred_at=T0))
    project(services)
    assert fcr_counts(total(services, at=T0 + W)) == {
        "fcr": 1.0, "fcr_resolved": 1, "fcr_eligible": 1, "fcr_pending": 0, "repeat_contacts": 0
    }  # fmt: skip


def test_a_repeat_at_the_end_instant_decides_the_call_as_repeated_at_that_instant(services):
    """METRICS.md: "within" includes its end, and the window is closed from its end instant
    on: a repeat at exactly T0 + W, seen with at = T0 + W, makes the first call repeated
    (not resolved, not pending); the repeat itself is resolved only once its own window
    closes at T0 + 2W."""
    record(
        services,
        call(customer_ref="C1", occurred_at=T0),
        call(customer_ref="C1", occurred_at=T0 + W),
    )
    project(services)
    first, repeat = metrics(services, group_by=("day",), at=T0 + W)
    assert (first["fcr_resolved"], first["fcr_eligible"], first["fcr_pending"]) == (0, 1, 0)
    assert (repeat["fcr_pending"], repeat["repeat_contacts"]) == (1, 1)
    first, repeat = metrics(services, group_by=("day",), at=T0 + 2 * W)
    assert (repeat["fcr_resolved"], repeat["fcr_pending"]) == (1, 0)


def test_a_past_report_is_reproduced_by_passing_the_same_at(services):
    """The repeat happened on day 2: a report 'as at' day 1 still shows the call pending,
    a report as at day 2 shows it repeated, even though both are run after the repeat
    was recorded."""
    record(
        services,
        call(customer_ref="C1", occurred_at=T0),
        call(customer_ref="C1", occurred_at=T0 + timedelta(days=2)),
    )
    project(services)
    first_day = {"date_from": DAY, "date_to": DAY}
    as_at_day_one = total(services, at=T0 + timedelta(days=1), **first_day)
    assert (as_at_day_one["fcr_pending"], as_at_day_one["fcr_eligible"]) == (1, 0)
    as_at_day_two = total(services, at=T0 + timedelta(days=2), **first_day)
    assert (as_at_day_two["fcr_pending"], as_at_day_two["fcr_eligible"]) == (0, 1)
    assert as_at_day_two["fcr"] == 0.0


def test_calls_at_the_same_instant_do_not_repeat_each_other(services):
    """'later' is strict: two calls at the very same occurred_at are not each other's repeat."""
    record(
        services, call(customer_ref="C1", occurred_at=T0), call(customer_ref="C1", occurred_at=T0)
    )
    project(services)
    assert total(services)["repeat_contacts"] == 0


def test_a_chain_longer_than_twice_the_window_links_whatever_the_arrival_order(services):
    """Calls every 5 days over 20 days, recorded out of order and projected one fact per
    page: each call but the last has its repeat 5 days later, each but the first is one."""
    days = [20, 0, 10, 5, 15]
    for d in days:
        record(services, call(customer_ref="C1", occurred_at=T0 + timedelta(days=d)))
        project(services, page_size=1)
    row = total(services)
    assert (row["repeat_contacts"], row["fcr_resolved"], row["fcr_eligible"]) == (4, 1, 5)
    by_day = {r["day"]: r["fcr"] for r in metrics(services, group_by=("day",))}
    assert by_day == {DAY + timedelta(days=d): 0.0 for d in (0, 5, 10, 15)} | {
        DAY + timedelta(days=20): 1.0
    }
