"""The contact policy's rules on hand-made histories (domain.policy).

Quiet periods are closed from their end instant on, like every window of METRICS.md
("A window is closed from its end instant on"); contact pressure counts sends in
[at - 30 days, at], both ends included (METRICS.md, CRM view, "contact pressure").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain import commands as c
from domain import errors
from domain import facts as f
from domain.facts import ContactPolicyPublished
from domain.ids import contact_policy_stream_id
from domain.policy import (
    Call,
    ConsentChange,
    ContactPolicy,
    Erasure,
    History,
    Mailshot,
    Survey,
    default_policy,
    evaluate,
    in_force,
)
from domain.reading import LoggedFact
from tests.unit.fakes import NOW, FakeSession

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LOOP = timedelta(hours=48)
POLICY = ContactPolicy(pressure_cap=4)  # 14 / 14 / 30 quiet days, "complaint"
GRANTED = (ConsentChange(1, T0 - 100 * DAY, "sms", granted=True),)


def rules_blocking(history: History, at: datetime, channel: str = "sms") -> list[str]:
    return [block.rule for block in evaluate(POLICY, history, channel, at, LOOP).blocks]


def with_consent(**facts: object) -> History:
    return History(consent=GRANTED, **facts)  # type: ignore[arg-type]


def call(position: int, when: datetime, reason: str = "balance-query", **kw: bool) -> Call:
    return Call(
        position, when, reason, answered=kw.get("answered", True), resolved=kw.get("resolved", True)
    )


# --- consent ---------------------------------------------------------------------


def test_a_customer_who_granted_consent_and_has_no_history_may_be_contacted() -> None:
    assert evaluate(POLICY, with_consent(), "sms", T0, LOOP).allowed


def test_no_consent_recorded_on_the_channel_blocks() -> None:
    decision = evaluate(POLICY, History(), "sms", T0, LOOP)
    assert [b.rule for b in decision.blocks] == ["consent"]
    assert decision.blocks[0].trigger is None
    assert decision.blocks[0].sentence == "no consent to marketing by sms recorded"


def test_consent_on_another_channel_does_not_count() -> None:
    assert rules_blocking(with_consent(), T0, channel="email") == ["consent"]


def test_a_withdrawal_blocks_from_its_instant_on_and_names_the_fact() -> None:
    withdrawn = ConsentChange(7, T0, "sms", granted=False)
    history = History(consent=(*GRANTED, withdrawn))
    assert rules_blocking(history, T0 - timedelta(microseconds=1)) == []
    block = evaluate(POLICY, history, "sms", T0, LOOP).blocks[0]
    assert (block.rule, block.trigger and block.trigger.position) == ("consent", 7)
    assert block.sentence == "withdrew consent to marketing by sms on 2026-03-01"


def test_a_later_grant_lifts_a_withdrawal_and_equal_times_are_ordered_by_position() -> None:
    withdrawn = ConsentChange(7, T0, "sms", granted=False)
    regranted = ConsentChange(9, T0 + DAY, "sms", granted=True)
    history = History(consent=(withdrawn, regranted))
    assert rules_blocking(history, T0 + DAY / 2) == ["consent"]
    assert rules_blocking(history, T0 + DAY) == []
    same_instant = History(consent=(ConsentChange(9, T0, "sms", True), withdrawn))
    assert rules_blocking(same_instant, T0) == []  # position 9 was recorded after 7


# --- erasure ---------------------------------------------------------------------


def test_an_erased_customer_is_never_contactable_not_even_asked_about_before_erasure() -> None:
    history = with_consent(erasure=Erasure(30, T0))
    for at in (T0 - 50 * DAY, T0, T0 + 5000 * DAY):
        decision = evaluate(POLICY, history, "sms", at, LOOP)
        assert "erased" in [b.rule for b in decision.blocks]
        assert not decision.allowed
    assert evaluate(POLICY, history, "sms", T0, LOOP).blocks[0].clears_at is None


# --- contact pressure -----------------------------------------------------------


def sends(*days_before: float, at: datetime = T0) -> tuple[Mailshot, ...]:
    return tuple(Mailshot(100 + i, at - d * DAY, "post", "c1") for i, d in enumerate(days_before))


def test_three_sends_in_30_days_leave_room_under_a_cap_of_four() -> None:
    assert rules_blocking(with_consent(mailshots=sends(1, 2, 3)), T0) == []


def test_four_sends_reach_the_cap_of_four_and_the_latest_is_the_trigger() -> None:
    history = with_consent(mailshots=sends(1, 2, 3, 4))
    block = evaluate(POLICY, history, "sms", T0, LOOP).blocks[0]
    assert block.rule == "pressure_cap"
    assert block.trigger is not None
    assert block.trigger.occurred_at == T0 - DAY
    assert block.sentence == "4 mailshots in the last 30 days, the cap is 4"


def test_a_send_exactly_30_days_ago_still_counts_and_leaves_the_instant_after() -> None:
    history = with_consent(mailshots=sends(30, 2, 3, 4))
    block = evaluate(POLICY, history, "sms", T0, LOOP).blocks[0]
    assert block.clears_at == T0 + timedelta(microseconds=1)
    assert rules_blocking(history, T0 + timedelta(microseconds=1)) == []


def test_sends_after_at_have_not_happened_yet() -> None:
    history = with_consent(mailshots=sends(1, 2, 3, -1))
    assert rules_blocking(history, T0) == []


def test_a_policy_with_cap_zero_blocks_even_a_customer_never_mailed() -> None:
    decision = evaluate(ContactPolicy(pressure_cap=0), with_consent(), "sms", T0, LOOP)
    assert [b.rule for b in decision.blocks] == ["pressure_cap"]


@given(st.lists(st.integers(min_value=0, max_value=60), max_size=8))
def test_pressure_blocks_exactly_when_the_sends_of_the_window_reach_the_cap(
    days: list[int],
) -> None:
    history = with_consent(mailshots=sends(*days))
    in_window = sum(1 for d in days if d <= 30)  # hand rule: 0..30 days back, both ends
    assert ("pressure_cap" in rules_blocking(history, T0)) == (in_window >= 4)


# --- quiet after an unresolved call ----------------------------------------------


def test_an_unresolved_call_blocks_for_14_days_closed_from_the_end_instant() -> None:
    history = with_consent(calls=(call(5, T0, resolved=False),))
    assert rules_blocking(history, T0) == ["unresolved_call"]
    assert rules_blocking(history, T0 + 14 * DAY - timedelta(microseconds=1)) == ["unresolved_call"]
    assert rules_blocking(history, T0 + 14 * DAY) == []
    assert rules_blocking(history, T0 - timedelta(seconds=1)) == []
    block = evaluate(POLICY, history, "sms", T0, LOOP).blocks[0]
    assert block.clears_at == T0 + 14 * DAY
    assert block.sentence == "unresolved call on 2026-03-01: no marketing until 2026-03-15"


def test_a_later_resolved_call_with_the_same_reason_settles_it_another_reason_does_not() -> None:
    open_call = call(5, T0, resolved=False)
    settled = with_consent(calls=(open_call, call(6, T0 + DAY)))
    assert rules_blocking(settled, T0 + DAY / 2) == ["unresolved_call"]
    assert rules_blocking(settled, T0 + DAY) == []
    other = with_consent(calls=(open_call, call(6, T0 + DAY, reason="pin-reset")))
    assert rules_blocking(other, T0 + 2 * DAY) == ["unresolved_call"]


def test_a_resolved_call_at_the_same_instant_does_not_settle() -> None:
    history = with_consent(calls=(call(5, T0, resolved=False), call(6, T0)))
    assert rules_blocking(history, T0 + DAY) == ["unresolved_call"]


def test_the_latest_unresolved_call_sets_when_the_quiet_period_ends() -> None:
    calls = (call(5, T0, resolved=False), call(8, T0 + 3 * DAY, "pin-reset", resolved=False))
    block = evaluate(POLICY, with_consent(calls=calls), "sms", T0 + 4 * DAY, LOOP).blocks[0]
    assert block.trigger is not None
    assert block.trigger.position == 8
    assert block.clears_at == T0 + 17 * DAY


# --- quiet after a detractor reply -------------------------------------------------


def test_an_open_detractor_reply_blocks_and_so_does_an_expired_one() -> None:
    history = with_consent(surveys=(Survey(9, T0, nps=2),))
    assert rules_blocking(history, T0 + DAY) == ["detractor"]  # open: inside its 48 hours
    assert rules_blocking(history, T0 + 3 * DAY) == ["detractor"]  # expired, still quiet
    assert rules_blocking(history, T0 + 14 * DAY - timedelta(microseconds=1)) == ["detractor"]
    assert rules_blocking(history, T0 + 14 * DAY) == []


def test_a_reply_of_seven_is_no_detractor_and_six_is() -> None:
    assert rules_blocking(with_consent(surveys=(Survey(9, T0, nps=7),)), T0) == []
    assert rules_blocking(with_consent(surveys=(Survey(9, T0, nps=6),)), T0) == ["detractor"]
    assert rules_blocking(with_consent(surveys=(Survey(9, T0, nps=None),)), T0) == []


def test_an_answered_call_within_48_hours_closes_the_loop_exactly_at_48_hours_too() -> None:
    reply = Survey(9, T0, nps=3)
    in_time = with_consent(surveys=(reply,), calls=(call(10, T0 + LOOP),))
    assert rules_blocking(in_time, T0 + LOOP - DAY) == ["detractor"]  # not yet followed
    assert rules_blocking(in_time, T0 + LOOP) == []
    late = with_consent(surveys=(reply,), calls=(call(10, T0 + LOOP + timedelta(seconds=1)),))
    assert rules_blocking(late, T0 + 3 * DAY) == ["detractor"]


def test_an_abandoned_call_or_a_contact_at_the_reply_instant_does_not_close_the_loop() -> None:
    reply = Survey(9, T0, nps=3)
    abandoned = call(10, T0 + DAY, answered=False, resolved=True)
    assert rules_blocking(with_consent(surveys=(reply,), calls=(abandoned,)), T0 + DAY) == [
        "detractor"
    ]
    same_instant = Mailshot(11, T0, "email", "c1")
    history = with_consent(surveys=(reply,), mailshots=(same_instant,))
    assert rules_blocking(history, T0 + DAY) == ["detractor"]


# --- quiet after a complaint -------------------------------------------------------


def test_a_complaint_blocks_30_days_even_when_resolved() -> None:
    history = with_consent(calls=(call(5, T0, "complaint"),))
    assert rules_blocking(history, T0 + DAY) == ["complaint"]
    assert rules_blocking(history, T0 + 30 * DAY - timedelta(microseconds=1)) == ["complaint"]
    assert rules_blocking(history, T0 + 30 * DAY) == []


def test_which_reasons_are_complaints_is_the_policy_s_choice() -> None:
    history = with_consent(calls=(call(5, T0, "card-declined"),))
    assert rules_blocking(history, T0 + DAY) == []
    strict = ContactPolicy(pressure_cap=4, complaint_reasons=("card-declined",))
    blocks = evaluate(strict, history, "sms", T0 + DAY, LOOP).blocks
    assert [b.rule for b in blocks] == ["complaint"]


def test_an_unresolved_complaint_is_blocked_by_both_rules_each_named() -> None:
    history = with_consent(calls=(call(5, T0, "complaint", resolved=False),))
    assert rules_blocking(history, T0 + DAY) == ["unresolved_call", "complaint"]


def test_zero_quiet_days_switch_a_quiet_period_off() -> None:
    off = ContactPolicy(pressure_cap=4, complaint_quiet_days=0, unresolved_call_quiet_days=0)
    history = with_consent(calls=(call(5, T0, "complaint", resolved=False),))
    assert evaluate(off, history, "sms", T0, LOOP).allowed


# --- the policy in force -------------------------------------------------------------


def published(position: int, when: datetime, cap: int) -> LoggedFact:
    fact = ContactPolicyPublished(
        originator_id=contact_policy_stream_id(),
        originator_version=position,
        timestamp=when,
        occurred_at=when,
        source="touchpoint",
        source_id=f"p{position}",
        recorded_by="admin",
        pressure_cap=cap,
        unresolved_call_quiet_days=7,
        detractor_quiet_days=10,
        complaint_quiet_days=20,
        complaint_reasons=["complaint", "card-declined"],
    )
    return LoggedFact(position, fact)


def test_the_default_is_in_force_until_a_policy_is_published_then_the_latest() -> None:
    default = default_policy(pressure_cap=4)
    assert in_force([], default) == default
    assert default.position is None
    assert default.complaint_reasons == ("complaint",)
    stream = [published(3, T0, cap=2), published(8, T0 + DAY, cap=6)]
    assert in_force(stream, default).pressure_cap == 6
    assert in_force(stream, default, at=T0 + DAY / 2).position == 3
    assert in_force(stream, default, at=T0 - DAY) == default
    assert in_force(stream[:1], default).complaint_reasons == ("complaint", "card-declined")


# --- publishing a policy (decided without a database) ------------------------------


def publish_command(**over: object) -> c.PublishContactPolicy:
    fields: dict[str, object] = {
        "occurred_at": NOW,
        "source": "touchpoint",
        "source_id": "policy-1",
        "pressure_cap": 3,
        "unresolved_call_quiet_days": 7,
        "detractor_quiet_days": 14,
        "complaint_quiet_days": 30,
        "complaint_reasons": ["complaint", "card-declined"],
    }
    return c.PublishContactPolicy.model_validate(fields | over)


def test_a_published_policy_is_one_fact_in_the_policy_stream() -> None:
    fact = FakeSession().record(publish_command())
    assert isinstance(fact, f.ContactPolicyPublished)
    assert fact.originator_id == contact_policy_stream_id()
    assert (fact.pressure_cap, fact.complaint_reasons) == (3, ["complaint", "card-declined"])


def test_a_complaint_reason_named_twice_is_refused_naming_the_second() -> None:
    with pytest.raises(errors.DuplicateReasonCode) as refused:
        FakeSession().record(publish_command(complaint_reasons=["complaint", "complaint"]))
    assert refused.value.field == "complaint_reasons.1"


@pytest.mark.parametrize(
    "over",
    [
        {"pressure_cap": -1},
        {"complaint_quiet_days": 3651},
        {"detractor_quiet_days": "14"},
        {"complaint_reasons": ["Complaint!"]},
        {"unresolved_call_quiet_days": True},
    ],
)
def test_out_of_range_or_mistyped_parameters_are_refused_at_the_boundary(
    over: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        publish_command(**over)
