"""Rules of customers, campaigns and calls, decided without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain import commands as c
from domain import errors, ids
from domain import facts as f
from domain.decide import call_as_corrected
from tests import builders as b
from tests.unit.fakes import NOW, FakeSession, ReversingKeyring


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


def test_a_registered_customer_has_personal_fields_sealed_and_the_rest_in_clear(session):
    fact = session.record(b.customer(name="Zebedee Quux", email="zq@example.org"))
    assert isinstance(fact, f.CustomerRegistered)
    assert fact.name == "xuuQ eedebeZ"  # the fake keyring seals by reversing
    assert fact.email == "gro.elpmaxe@qz"
    assert fact.segment == "retail"
    assert fact.recorded_by == "unit-test"
    assert fact.timestamp == NOW


def test_a_customer_cannot_be_registered_twice(session):
    session.record(b.customer())
    with pytest.raises(errors.CustomerAlreadyRegistered) as refused:
        session.record(b.customer(source_id="reg-again"))
    assert refused.value.field == "customer_ref"


def test_an_erased_customer_cannot_be_registered_again(session):
    session.record(b.customer())
    session.record(erasure("C1"))
    with pytest.raises(errors.CustomerErased):
        session.record(b.customer(source_id="reg-after-erasure"))


def test_an_erased_customer_gets_no_new_contact_details(session):
    session.record(b.customer(), erasure("C1"))
    with pytest.raises(errors.CustomerErased):
        session.record(b.contact_change())


def test_a_customer_whose_key_is_gone_gets_no_survey_comment():
    # The stream may not show the erasure yet (it is recorded after the key goes):
    # sealing itself refuses.
    session = FakeSession(keyring=ReversingKeyring(erased={"C1"}))
    session.record(b.call())
    with pytest.raises(errors.CustomerErased):
        session.record(b.survey(comment="lovely"))


def test_a_contact_change_with_nothing_to_change_is_refused(session):
    with pytest.raises(errors.NothingToChange):
        session.record(b.contact_change(email=None))


def test_a_campaign_cannot_be_planned_twice(session):
    session.record(b.campaign())
    with pytest.raises(errors.CampaignAlreadyPlanned) as refused:
        session.record(b.campaign(source_id="plan-again"))
    assert refused.value.field == "campaign_id"


def test_a_campaign_with_a_negative_fixed_cost_is_refused(session):
    with pytest.raises(errors.NegativeAmount):
        session.record(b.campaign(fixed_cost="-1"))


@pytest.mark.parametrize("days", [0, -5, 3661])
def test_an_attribution_window_outside_one_day_to_ten_years_is_refused(session, days):
    with pytest.raises(errors.NegativeDuration) as refused:
        session.record(b.campaign(attribution_window_days=days))
    assert refused.value.field == "attribution_window_days"


@pytest.mark.parametrize(
    "name", ["wait_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds"]
)
def test_a_call_with_a_negative_duration_is_refused(session, name):
    negative: dict[str, Any] = {name: -1}
    with pytest.raises(errors.NegativeDuration) as refused:
        session.record(b.call(**negative))
    assert refused.value.field == name


@pytest.mark.parametrize("name", ["talk_seconds", "hold_seconds", "after_call_work_seconds"])
def test_an_abandoned_call_with_handling_time_is_refused(session, name):
    zeros = {"talk_seconds": 0, "hold_seconds": 0, "after_call_work_seconds": 0}
    with pytest.raises(errors.AbandonedCallHasTalkTime):
        session.record(b.call(outcome="abandoned", **(zeros | {name: 5})))


def test_an_abandoned_call_without_handling_time_is_recorded(session):
    fact = session.record(
        b.call(outcome="abandoned", talk_seconds=0, hold_seconds=0, after_call_work_seconds=0)
    )
    assert isinstance(fact, f.CallRecorded)
    assert fact.outcome == "abandoned"
    assert fact.wait_seconds == 12


def test_a_fact_more_than_a_day_in_the_future_is_refused(session):
    with pytest.raises(errors.OccurredInFuture) as refused:
        session.record(b.call(occurred_at=NOW + timedelta(days=1, seconds=1)))
    assert refused.value.field == "occurred_at"


def test_a_fact_slightly_ahead_of_the_ledger_clock_is_accepted(session):
    # Source clocks drift; up to a day ahead is tolerated.
    fact = session.record(b.call(occurred_at=NOW + timedelta(hours=2)))
    assert fact.occurred_at == NOW + timedelta(hours=2)


def test_a_fact_before_2000_is_refused(session):
    with pytest.raises(errors.OccurredTooLongAgo):
        session.record(b.consent(occurred_at=datetime(1999, 12, 31, 23, 59, tzinfo=UTC)))


def test_a_call_offered_in_the_future_is_refused(session):
    with pytest.raises(errors.OccurredInFuture) as refused:
        session.record(b.call(offered_at=NOW + timedelta(days=3)))
    assert refused.value.field == "offered_at"


def test_a_call_without_offered_at_was_offered_when_it_occurred(session):
    fact = session.record(b.call())
    assert isinstance(fact, f.CallRecorded)
    assert fact.offered_at == fact.occurred_at == b.at(10)


def test_a_correction_of_an_unknown_call_is_refused(session):
    with pytest.raises(errors.UnknownCall):
        session.record(b.correction(call_id="never-recorded"))


def test_a_correction_with_nothing_to_change_is_refused(session):
    session.record(b.call())
    with pytest.raises(errors.NothingToChange):
        session.record(b.correction(resolved=None))


def test_a_correction_with_a_negative_duration_is_refused(session):
    session.record(b.call())
    with pytest.raises(errors.NegativeDuration):
        session.record(b.correction(hold_seconds=-3))


def test_a_correction_cannot_give_an_abandoned_call_talk_time(session):
    session.record(
        b.call(outcome="abandoned", talk_seconds=0, hold_seconds=0, after_call_work_seconds=0)
    )
    with pytest.raises(errors.AbandonedCallHasTalkTime):
        session.record(b.correction(resolved=None, talk_seconds=60))


def test_a_correction_joins_its_call_stream_as_the_next_version(session):
    recorded = session.record(b.call())
    corrected = session.record(b.correction())
    assert isinstance(corrected, f.CallCorrected)
    assert corrected.originator_id == recorded.originator_id == ids.call_stream_id("acd", "call-1")
    assert (recorded.originator_version, corrected.originator_version) == (1, 2)
    assert corrected.resolved is False
    assert corrected.queue is None  # fields not amended stay None: the original stays


def test_corrections_apply_in_order_over_the_original_call(session):
    session.record(
        b.call(), b.correction(), b.correction(source_id="fix-2", resolved=None, queue="sales")
    )
    current = call_as_corrected(session.stream(ids.call_stream_id("acd", "call-1")))
    assert current["resolved"] is False  # from the first correction
    assert current["queue"] == "sales"  # from the second
    assert current["talk_seconds"] == 240  # never amended


def erasure(ref: str) -> c.EraseCustomer:
    return c.EraseCustomer(
        occurred_at=b.at(5), source="touchpoint", source_id=ref, customer_ref=ref
    )
