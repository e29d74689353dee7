"""Batches: one transaction, one outcome per item, refusals isolated, failures atomic."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import PersistenceError

from domain import errors
from tests import builders as b
from tests.integration.sql import allow_inserts_again, count, refuse_inserts_of

AUTHOR = "integration-test"


def test_a_batch_of_every_kind_is_recorded_in_item_order(services):
    outcomes = services.ledger.record_batch(b.one_of_each(), AUTHOR)
    assert [o.status for o in outcomes] == ["recorded"] * len(outcomes)
    assert [o.index for o in outcomes] == list(range(len(outcomes)))
    positions = [o.position for o in outcomes]
    assert positions == sorted(set(positions))
    assert [item.position for item in services.ledger.read_log(0, 100)] == positions


def test_a_batch_reports_recorded_duplicate_and_refused_per_item(services):
    ledger = services.ledger
    earlier = ledger.record(b.call("call-0"), AUTHOR)
    ledger.record(b.call("call-9"), AUTHOR)
    outcomes = ledger.record_batch(
        [
            b.call("call-1"),  # 0 recorded
            b.call("call-1"),  # 1 duplicate of item 0
            b.correction(call_id="no-such-call"),  # 2 refused by a rule
            b.call("call-0"),  # 3 duplicate of the log
            b.call("call-9", talk_seconds=1),  # 4 conflicts with the log
            b.call("call-1", queue="sales"),  # 5 conflicts with item 0
            b.survey(about=None, nps=11),  # 6 refused by a rule
            b.call("call-2"),  # 7 recorded
        ],
        AUTHOR,
    )
    assert [o.status for o in outcomes] == [
        "recorded", "duplicate", "refused", "duplicate",
        "refused", "refused", "refused", "recorded",
    ]  # fmt: skip
    assert outcomes[1].position == outcomes[0].position
    assert outcomes[3].position == earlier.position
    assert [type(outcomes[i].error) for i in (2, 4, 5, 6)] == [
        errors.UnknownCall, errors.FactConflict, errors.FactConflict, errors.ScoreOutOfRange,
    ]  # fmt: skip
    assert outcomes[5].error.original_position == outcomes[0].position
    assert all(outcomes[i].reason for i in (2, 4, 5, 6))
    logged = [item.fact.source_id for item in ledger.read_log(0, 100)]
    assert logged == ["call-0", "call-9", "call-1", "call-2"]


def test_a_refused_item_leaves_the_rest_of_the_batch_recorded(services):
    outcomes = services.ledger.record_batch(
        [b.call("a"), b.call("b", wait_seconds=-1), b.call("c")], AUTHOR
    )
    assert [o.status for o in outcomes] == ["recorded", "refused", "recorded"]
    assert isinstance(outcomes[1].error, errors.NegativeDuration)
    assert outcomes[1].position is None
    assert count(services.database_url, "touchpoint_events") == 2


def test_a_batch_of_only_refusals_and_duplicates_writes_nothing(services):
    services.ledger.record(b.call(), AUTHOR)
    outcomes = services.ledger.record_batch([b.call(), b.correction(call_id="x")], AUTHOR)
    assert [o.status for o in outcomes] == ["duplicate", "refused"]
    assert count(services.database_url, "touchpoint_events") == 1


def test_a_mailshot_can_be_planned_sent_and_answered_in_one_batch(services):
    batch = [b.campaign(), b.sent(), b.delivered(), b.responded(), b.converted()]
    outcomes = services.ledger.record_batch(batch, AUTHOR)
    assert [o.status for o in outcomes] == ["recorded"] * 5
    kinds = [item.kind for item in services.ledger.read_log(0, 10)]
    assert kinds == [cmd.KIND for cmd in batch]


def test_a_follow_up_before_its_send_in_the_same_batch_is_refused(services):
    # Items are decided in order: the send is not known yet when the response comes.
    outcomes = services.ledger.record_batch([b.campaign(), b.responded(), b.sent()], AUTHOR)
    assert [o.status for o in outcomes] == ["recorded", "refused", "recorded"]
    assert isinstance(outcomes[1].error, errors.UnknownMailshot)


def test_a_database_failure_writes_nothing_of_the_batch(services):
    url = services.database_url
    refuse_inserts_of(url, "touchpoint:SurveyReplied")  # the batch's last item
    with pytest.raises(PersistenceError, match="test sabotage"):
        services.ledger.record_batch(b.one_of_each(), AUTHOR)
    assert (count(url, "touchpoint_events"), count(url, "fact_keys")) == (0, 0)
    allow_inserts_again(url)
    outcomes = services.ledger.record_batch(b.one_of_each(), AUTHOR)
    assert {o.status for o in outcomes} == {"recorded"}  # nothing half-written is in the way
    assert count(url, "touchpoint_events") == len(outcomes)
