"""The projectors' log reader gives exactly the facts ``Ledger.read_log`` gives."""

from __future__ import annotations

from dataclasses import asdict

from domain import facts as f
from domain import ids
from projections.log import LogReader
from tests import builders as b
from tests.integration.sql import query
from tests.unit.fakes import FakeSession


def _same(reader: LogReader, services, after: int, limit: int) -> list:
    expected = services.ledger.read_log(after, limit)
    got = reader.read(after, limit)
    assert [(i.position, type(i.fact), asdict(i.fact)) for i in got] == [
        (i.position, type(i.fact), asdict(i.fact)) for i in expected
    ]
    return got


def test_every_kind_of_fact_reads_back_as_the_ledger_reads_it(services):
    services.ledger.record_batch(b.one_of_each(), "integration-test")
    reader = LogReader(services.ledger, services.key_pool)
    assert reader.fast
    facts = _same(reader, services, 0, 1000)
    kinds = {item.kind for item in facts}
    assert {"CustomerRegistered", "CallRecorded", "MailshotSent", "SurveyReplied"} <= kinds
    # Values of the transcoder's own types come back typed, not as their JSON.
    call = next(item.fact for item in facts if isinstance(item.fact, f.CallRecorded))
    assert call.occurred_at.tzinfo is not None


def test_pages_start_after_the_position_and_stop_at_the_limit(services):
    outcomes = services.ledger.record_batch(b.one_of_each(), "integration-test")
    positions = [o.position for o in outcomes]
    reader = LogReader(services.ledger, services.key_pool)
    page = _same(reader, services, positions[1], 3)
    assert [item.position for item in page] == positions[2:5]
    assert reader.read(positions[-1], 10) == []


def test_an_old_version_of_a_fact_is_upcast_as_the_ledger_upcasts_it(services):
    v2 = asdict(FakeSession().record(b.call("old-call")))
    for name in ("originator_id", "originator_version", "offered_at"):
        del v2[name]  # a v1 CallRecorded: no offered_at, no class_version
    query(
        services.database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'touchpoint:CallRecorded', %s)",
        (ids.call_stream_id("acd", "old-call"), services.ledger.mapper.transcoder.encode(v2)),
    )
    [logged] = _same(LogReader(services.ledger, services.key_pool), services, 0, 10)
    assert isinstance(logged.fact, f.CallRecorded)
    assert logged.fact.offered_at == logged.fact.occurred_at == b.at(10)
    assert logged.fact.notes is None
