"""A v1 CallRecorded, stored before ``offered_at`` existed, reads back as v2."""

from __future__ import annotations

from dataclasses import asdict

from domain import facts as f
from domain import ids
from tests import builders as b
from tests.integration.sql import query
from tests.unit.fakes import FakeSession


def _v1_state(ledger) -> bytes:
    """The state the library's JSON transcoder wrote for a v1 CallRecorded.

    The mapper stores every field but the stream id and version, and adds
    ``class_version`` only from v2 on; v1 had no ``offered_at``.
    """
    v2 = FakeSession().record(b.call("old-call"))
    state = asdict(v2)
    for name in ("originator_id", "originator_version", "offered_at"):
        del state[name]
    return ledger.mapper.transcoder.encode(state)


def test_a_stored_v1_call_reads_back_as_v2_offered_when_it_occurred(services):
    state = _v1_state(services.ledger)
    assert b"offered_at" not in state
    assert b"class_version" not in state
    stream = ids.call_stream_id("acd", "old-call")
    query(
        services.database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'touchpoint:CallRecorded', %s)",
        (stream, state),
    )
    [logged] = services.ledger.read_log(0, 10, kinds=["CallRecorded"])
    assert isinstance(logged.fact, f.CallRecorded)
    assert logged.fact.offered_at == logged.fact.occurred_at == b.at(10)
    assert (logged.fact.talk_seconds, logged.fact.source_id) == (240, "old-call")
    assert [item.fact for item in services.ledger.read_stream(stream)] == [logged.fact]


def test_a_v1_call_can_be_corrected_like_any_other(services):
    stream = ids.call_stream_id("acd", "old-call")
    query(
        services.database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'touchpoint:CallRecorded', %s)",
        (stream, _v1_state(services.ledger)),
    )
    outcome = services.ledger.record(b.correction(call_id="old-call"), "integration-test")
    assert outcome.status == "recorded"
    assert [item.version for item in services.ledger.read_stream(stream)] == [1, 2]
