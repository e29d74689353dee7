"""Positions are not contiguous; reading across a gap loses nothing (DESIGN.md, The log)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import PersistenceError

from tests import builders as b
from tests.integration.sql import allow_inserts_again, query, refuse_inserts_of

AUTHOR = "integration-test"


def _calls(ledger, names):
    return [ledger.record(b.call(name), AUTHOR).position for name in names]


def _rolled_back_batch(services) -> None:
    """A batch of three calls whose transaction fails after taking positions."""
    refuse_inserts_of(services.database_url, "touchpoint:CallRecorded")
    with pytest.raises(PersistenceError):
        services.ledger.record_batch([b.call(f"lost-{i}") for i in range(3)], AUTHOR)
    allow_inserts_again(services.database_url)


def test_a_rolled_back_transaction_leaves_a_gap_in_positions(services):
    before = _calls(services.ledger, ["a", "b"])
    _rolled_back_batch(services)
    [after] = _calls(services.ledger, ["c"])
    assert after > before[-1] + 1
    assert [item.position for item in services.ledger.read_log(0, 10)] == [*before, after]


def test_reading_in_pages_across_gaps_loses_nothing(services):
    positions = _calls(services.ledger, ["a", "b", "c"])
    _rolled_back_batch(services)
    positions += _calls(services.ledger, ["d", "e"])
    query(services.database_url, "SELECT nextval('touchpoint_events_notification_id_seq')")
    positions += _calls(services.ledger, ["f", "g"])
    read, after = [], 0
    while page := services.ledger.read_log(after, 2):
        read += [item.fact.source_id for item in page]
        after = page[-1].position
    assert read == ["a", "b", "c", "d", "e", "f", "g"]
    assert positions[-1] - positions[0] > len(positions) - 1  # there were gaps to cross
