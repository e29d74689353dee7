"""Closed loop of detractor replies (METRICS.md "CEM view", closed loop):

closed = followed by an outbound mailshot or an answered call with that customer
within 48 hours of the reply (end included), expired = 48 hours passed without one,
open = still inside the 48 hours at the query's ``at`` and not closed. Rate =
closed / (closed + expired). The preamble: "followed by" is strictly later (a contact
at the reply's own instant does not close it), and a window is closed from its end
instant on (at reply + 48 h exactly, a detractor not followed up is expired).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.projections.cem.support import (
    T0,
    CemHarness,
    D,
    H,
    call,
    campaign,
    mailshot,
    reply,
)

S = timedelta(seconds=1)
LATER = T0 + 30 * D  # long after every window


@pytest.fixture
def cem(services):
    return CemHarness(services, page_size=2)


def _states(cem, at):
    total = cem.total(at=at)
    return total["open"], total["closed"], total["expired"]


@pytest.mark.parametrize(
    ("after", "state"),
    [(47 * H, "closed"), (48 * H, "closed"), (49 * H, "expired")],
)
def test_a_callback_closes_the_loop_within_48_hours_end_included(cem, after, state):
    """A detractor called back (answered) at 47 h and at exactly 48 h is closed; at 49 h the
    loop had already expired."""
    cem.record(reply("r", at=T0, nps=3), call("callback", at=T0 + after))
    expected = {"closed": (0, 1, 0), "expired": (0, 0, 1)}[state]
    assert _states(cem, LATER) == expected


def test_an_unanswered_call_does_not_close_the_loop(cem):
    cem.record(
        reply("r", nps=0), call("missed", at=T0 + 2 * H, outcome="abandoned", talk_seconds=0)
    )
    assert _states(cem, LATER) == (0, 0, 1)


def test_a_follow_up_recorded_in_the_log_before_the_reply_closes_it(cem):
    """The mailshot is logged first but sent after the reply (occurred_at order)."""
    reply_at = T0 + 10 * H
    cem.record(campaign(), mailshot("m", at=reply_at + 5 * H))
    cem.record(reply("r", at=reply_at, nps=6))
    assert _states(cem, LATER) == (0, 1, 0)


def test_contact_before_the_reply_or_with_another_customer_does_not_close_it(cem):
    """Followed by: a call before the reply (here the surveyed call itself) and a mailshot to
    someone else do not count."""
    cem.record(
        campaign(),
        call("surveyed", at=T0),
        reply("r", at=T0 + H, about="surveyed", nps=1),
        mailshot("other", "C2", at=T0 + 2 * H),
        call("earlier", at=T0 + H - S),
    )
    assert _states(cem, LATER) == (0, 0, 1)


def test_open_or_expired_depends_on_at(cem):
    """At reply + 48 h minus one second the detractor is open; from reply + 48 h exactly on
    it is expired (METRICS.md: closed from its end instant on). A follow-up at + 10 h is
    closed only from + 10 h on (a past report is reproduced by passing its ``at``)."""
    cem.record(reply("lonely", at=T0, nps=2), reply("helped", "C2", at=T0, nps=2))
    cem.record(call("callback", "C2", at=T0 + 10 * H))
    assert _states(cem, T0 + 9 * H) == (2, 0, 0)
    assert _states(cem, T0 + 47 * H) == (1, 1, 0)
    assert _states(cem, T0 + 48 * H - S) == (1, 1, 0)
    assert _states(cem, T0 + 48 * H) == (0, 1, 1)
    assert cem.total(at=T0 + 48 * H)["closed_loop_pct"] == pytest.approx(50.0)


def test_a_follow_up_at_the_very_instant_of_the_reply_does_not_close_the_loop(cem):
    """METRICS.md (preamble): "followed by" means strictly later; equal times never follow
    each other. An answered call and a mailshot at the reply's own instant leave the
    detractor expired once 48 h have passed; a call one second later closes another's."""
    cem.record(
        campaign(),
        reply("same", "A", at=T0, nps=4),
        call("same-call", "A", at=T0),
        mailshot("same-mail", "A", at=T0),
        reply("next", "B", at=T0, nps=4),
        call("next-call", "B", at=T0 + S),
    )
    assert _states(cem, LATER) == (0, 1, 1)


def test_the_follow_up_list_says_expired_from_the_end_instant_on(cem):
    """The list of open and expired detractors uses the same rule as the counts."""
    cem.record(reply("r", at=T0, nps=2))
    assert [row["state"] for row in cem.followups(at=T0 + 48 * H - S)] == ["open"]
    assert [row["state"] for row in cem.followups(at=T0 + 48 * H)] == ["expired"]


def test_only_detractors_enter_the_loop_and_the_rate_is_closed_over_decided(cem):
    """Rate = closed / (closed + expired); open replies are not in it. Three detractors:
    one closed by a mailshot, one expired, one open at ``at``; a passive is ignored."""
    cem.record(
        campaign(),
        reply("a", "A", at=T0, nps=0),
        mailshot("ma", "A", at=T0 + D),
        reply("b", "B", at=T0, nps=5),
        reply("c", "C", at=T0 + 3 * D, nps=6),
        reply("p", "P", at=T0, nps=7),
    )
    total = cem.total(at=T0 + 3 * D + H)
    assert (total["open"], total["closed"], total["expired"]) == (1, 1, 1)
    assert total["closed_loop_pct"] == pytest.approx(50.0)


def test_the_follow_up_list_shows_open_and_expired_detractors_without_personal_data(cem):
    positions = cem.record(
        reply("old", "A", at=T0, nps=0, comment="very private"),
        reply("new", "B", at=T0 + 3 * D, nps=4),
        reply("done", "C", at=T0, nps=1),
        call("callback", "C", at=T0 + H),
    )
    rows = cem.followups(at=T0 + 3 * D + H)
    assert [(r["customer_ref"], r["reply_position"], r["state"]) for r in rows] == [
        ("A", positions[0], "expired"),
        ("B", positions[1], "open"),
    ]
    assert rows[1]["occurred_at"] == T0 + 3 * D
    assert rows[1]["due_at"] == T0 + 5 * D
    assert all("comment" not in row for row in rows)
    assert set(rows[0]) == {"customer_ref", "reply_position", "occurred_at", "due_at", "state"}


def test_the_follow_up_list_can_carry_breakdowns_and_be_filtered(cem):
    cem.record(
        call("k1", "A", queue="billing"),
        call("k2", "B", queue="sales"),
        reply("a", "A", at=T0 + H, about="k1", nps=0),
        reply("b", "B", at=T0 + H, about="k2", nps=0),
    )
    rows = cem.followups(at=LATER, group_by=("queue",), filters={"queue": "sales"})
    assert [(r["queue"], r["customer_ref"], r["state"]) for r in rows] == [
        ("sales", "B", "expired")
    ]
