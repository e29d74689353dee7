"""How the cem view attributes a reply: bands, repeat flag, pressure, segment, and what
happens when facts arrive late or are corrected (METRICS.md "CEM view", notes/cem_tables.md).

Attribution is kept current: a reply always sits in the bucket that the facts
applied so far imply, whatever order they were recorded in.
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
    correct,
    mailshot,
    register,
    reply,
)

S = timedelta(seconds=1)


@pytest.fixture
def cem(services):
    return CemHarness(services, page_size=3)


def _by(cem, breakdown):
    return {row[breakdown]: row["replies"] for row in cem.metrics(group_by=(breakdown,))}


@pytest.mark.parametrize(
    ("talk", "hold", "acw", "band"),
    [
        (179, 0, 0, "<3"),  # 2:59
        (100, 50, 30, "3-6"),  # exactly 3:00 is not "<3"
        (300, 0, 59, "3-6"),  # 5:59
        (200, 100, 60, "6-10"),  # exactly 6:00 opens 6-10
        (400, 100, 99, "6-10"),  # 9:59
        (400, 100, 100, ">10"),  # exactly 10:00 is ">10" (half-open bands)
        (601, 0, 0, ">10"),  # 10:01
    ],
)
def test_the_handle_time_band_counts_talk_hold_and_after_call_work(cem, talk, hold, acw, band):
    """METRICS.md "CEM view", handle-time band of the surveyed call (< 3, 3 to < 6, 6 to
    < 10, >= 10 minutes: 360 s is in 6-10, 600 s in > 10): half-open, edges in seconds h:
    <3 is h < 180, 3-6 is 180 <= h < 360, 6-10 is 360 <= h < 600, >10 is h >= 600."""
    cem.record(
        call("k", talk_seconds=talk, hold_seconds=hold, after_call_work_seconds=acw),
        reply("r", about="k", nps=9),
    )
    assert _by(cem, "handle_time_band") == {band: 1}


def test_a_reply_not_about_a_call_has_no_call_attributes(cem):
    cem.record(reply("r", nps=9))
    [row] = cem.metrics(group_by=("queue", "agent", "reason", "handle_time_band", "repeat_contact"))
    assert [row[k] for k in ("queue", "agent", "reason", "handle_time_band")] == [None] * 4
    assert row["repeat_contact"] is None


@pytest.mark.parametrize(
    ("gap", "earlier", "repeat"),
    [
        (7 * D, {}, True),  # exactly W = 7 days later is a repeat ("within includes its end")
        (7 * D + S, {}, False),  # one second more is not
        (H, {"reason": "move"}, False),  # another reason
        (H, {"outcome": "abandoned", "talk_seconds": 0}, False),  # earlier call not answered
        (H, {"customer": "C2"}, False),  # another customer
    ],
)
def test_the_repeat_flag_follows_an_earlier_answered_call_of_the_same_reason(
    cem, gap, earlier, repeat
):
    """Repeat contact: the surveyed call is a repeat of an earlier answered call from the
    same customer with the same reason within W = 7 days (METRICS.md FCR rule)."""
    customer = earlier.pop("customer", "C1")
    cem.record(
        call("first", customer, T0, **earlier),
        call("second", at=T0 + gap),
        reply("r", at=T0 + gap + H, about="second", nps=9),
    )
    assert _by(cem, "repeat_contact") == {repeat: 1}


def test_an_earlier_call_recorded_after_the_reply_makes_its_call_a_repeat(cem):
    """Late arrival: the earlier call is logged after the reply was projected; the reply
    moves from repeat_contact false to true (attribution kept current)."""
    cem.record(call("second", at=T0 + 2 * D), reply("r", at=T0 + 2 * D + H, about="second", nps=2))
    assert _by(cem, "repeat_contact") == {False: 1}
    cem.record(call("first", at=T0))
    assert _by(cem, "repeat_contact") == {True: 1}
    assert cem.total()["detractors"] == 1  # moved, not doubled


def test_correcting_the_surveyed_call_moves_the_reply_to_its_new_buckets(cem):
    """A CallCorrected replaces queue, agent, reason and handled time of the surveyed
    call: the reply's contribution moves exactly (old bucket emptied, new one filled)."""
    cem.record(call("k", talk_seconds=100), reply("r", about="k", nps=10, csat=5))
    cem.record(correct("k", queue="sales", agent_id="a9", reason="move", talk_seconds=400))
    [row] = cem.metrics(group_by=("queue", "agent", "reason", "handle_time_band"))
    assert (row["queue"], row["agent"], row["reason"], row["handle_time_band"]) == (
        "sales", "a9", "move", "6-10",
    )  # fmt: skip
    assert (row["promoters"], row["csat_top2"]) == (1, 1)
    assert len(cem.daily_rows()) == 1  # the emptied bucket is gone


def test_correcting_an_earlier_calls_reason_changes_a_later_calls_repeat_flag(cem):
    """The repeat rule uses current reasons: correcting the first call's reason away
    from the second call's reason un-flags the second; correcting it back re-flags it."""
    cem.record(
        call("first"), call("second", at=T0 + D), reply("r", at=T0 + D + H, about="second", nps=9)
    )
    assert _by(cem, "repeat_contact") == {True: 1}
    cem.record(correct("first", reason="move"))
    assert _by(cem, "repeat_contact") == {False: 1}
    cem.record(correct("first", n=2, reason="bill"))
    assert _by(cem, "repeat_contact") == {True: 1}


@pytest.mark.parametrize(
    ("sends", "band"), [(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5+"), (6, "5+")]
)
def test_the_pressure_band_counts_mailshots_sent_in_the_30_days_before_the_reply(cem, sends, band):
    """METRICS.md contact pressure: mailshots sent to the customer in the trailing 30 days,
    banded 0, 1, 2, 3, 4, 5+ (METRICS.md "bands 3 and 4 apart"), taken at reply time."""
    cem.record(campaign(), *(mailshot(f"m{i}", at=T0 - i * D) for i in range(sends)))
    cem.record(reply("r", at=T0 + H, nps=9))
    assert _by(cem, "pressure_band") == {band: 1}


def test_the_pressure_window_includes_exactly_30_days_and_the_reply_instant(cem):
    """Within includes its end: a send exactly 30 days before counts, 30 days and one
    second before does not; a send after the reply does not."""
    cem.record(
        campaign(),
        mailshot("edge", at=T0 - 30 * D),
        mailshot("same", at=T0),
        mailshot("out", at=T0 - 30 * D - S),
        mailshot("after", at=T0 + S),
        reply("r", at=T0, nps=9),
    )
    assert _by(cem, "pressure_band") == {"2": 1}


def test_a_mailshot_recorded_after_the_reply_still_counts_toward_its_pressure(cem):
    """Late arrival: a send dated before the reply but logged after it moves the reply."""
    cem.record(campaign(), reply("r", at=T0, nps=9))
    assert _by(cem, "pressure_band") == {"0": 1}
    cem.record(mailshot("late", at=T0 - 3 * D))
    assert _by(cem, "pressure_band") == {"1": 1}


def test_the_segment_is_the_customers_even_when_registered_after_the_reply(cem):
    cem.record(reply("r1", "C1", nps=9), reply("r2", "C2", nps=0))
    assert _by(cem, "segment") == {None: 2}
    cem.record(register("C1", "gold"), register("C2", None))
    assert _by(cem, "segment") == {"gold": 1, None: 1}
    assert cem.metrics(filters={"segment": "gold"})[0]["promoters"] == 1
