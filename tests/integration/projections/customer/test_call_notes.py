"""A call's notes in the customer view: ciphertext at rest, opened for readers of personal
data, unreadable for ever once the customer is erased (crypto-shredding)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from domain import facts as f
from domain import ids
from domain.reading import ERASED, WITHHELD
from projections.config import ViewConfig
from projections.customer.as_of import AsOf, customer_as_of
from projections.customer.queries import customer_profile, timeline
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b
from tests.integration.sql import query
from tests.unit.fakes import FakeSession

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
NOTES = "Card stolen in Leeds; blocked it, replacement sent to the home address."


def project(services) -> ProjectionRunner:
    runner = ProjectionRunner(services.ledger, services.key_pool, [CustomerView()], page_size=4)
    runner.catch_up("customer")
    return runner


def a_call_with_notes(services) -> int:
    services.ledger.record(b.customer("C1"), "test")
    services.ledger.record(b.call("quiet", "C1", occurred_at=b.at(5)), "test")
    outcome = services.ledger.record(b.call("noted", "C1", occurred_at=b.at(9), notes=NOTES), "t")
    assert outcome.position is not None
    return outcome.position


def stored_notes(services) -> list[tuple[str, str | None]]:
    with services.key_pool.connection() as conn:
        rows = conn.execute(
            "SELECT source_id, notes FROM customer_timeline ORDER BY position"
        ).fetchall()
    return [(str(sid), notes) for sid, notes in rows]


def page(services, vault=True):
    with services.key_pool.connection() as conn:
        return timeline(conn, services.ledger.vault if vault else None, "C1")


def test_notes_are_ciphertext_in_the_view_and_opened_for_a_reader_of_personal_data(services):
    a_call_with_notes(services)
    project(services)

    (quiet, noted) = stored_notes(services)
    assert quiet == ("quiet", None)
    assert noted[1] is not None
    assert "Leeds" not in noted[1]  # sealed, as in the log
    read = page(services)
    assert read.personal_data == "visible"
    assert [(i.source_id, i.call.notes) for i in read.items] == [("noted", NOTES), ("quiet", None)]


def test_the_profiles_recent_interactions_carry_the_notes_too(services):
    a_call_with_notes(services)
    project(services)

    with services.key_pool.connection() as conn:
        seen = customer_profile(conn, services.ledger.vault, "C1", ViewConfig(), at=AT)

    assert seen is not None
    assert seen.recent_interactions[0].call is not None
    assert seen.recent_interactions[0].call.notes == NOTES


def test_notes_are_withheld_from_a_reader_without_a_key_source(services):
    a_call_with_notes(services)
    project(services)

    read = page(services, vault=False)

    assert read.personal_data == "withheld"
    assert [i.call.notes for i in read.items] == [None, None]
    assert [i.call.reason for i in read.items] == ["bill-query", "bill-query"]  # the rest stays


def test_erasure_makes_the_notes_unreadable_in_the_view_and_in_the_log(services):
    position = a_call_with_notes(services)
    runner = project(services)
    sealed = stored_notes(services)[1][1]

    services.ledger.erase_customer("C1", "admin")
    before_the_view_knows = page(services)
    runner.catch_up("customer")
    after = page(services)

    assert before_the_view_knows.personal_data == "erased"  # the key went first
    assert [i.call.notes for i in before_the_view_knows.items] == [None, None]
    assert after.personal_data == "erased"
    assert [i.call.notes for i in after.items] == [None, None]
    assert stored_notes(services)[1][1] == sealed  # nothing rewritten: only the key is gone
    (logged,) = [x for x in services.ledger.read_log(0, 100) if x.position == position]
    assert services.ledger.reveal([logged])[0]["data"]["notes"] == ERASED
    assert logged.as_dict(None)["data"]["notes"] == WITHHELD


def test_the_view_as_of_a_past_position_has_the_notes(services):
    position = a_call_with_notes(services)
    project(services)

    with services.key_pool.connection() as conn:
        vault = services.ledger.vault
        then = customer_as_of(
            conn, services.ledger, vault, "C1", ViewConfig(), as_of=AsOf(position=position), at=AT
        )

    assert then is not None
    assert then.recent_interactions[0].call is not None
    assert then.recent_interactions[0].call.notes == NOTES


def test_a_call_stored_before_notes_existed_reads_and_projects_without_notes(services):
    # The state the library's transcoder wrote for a v2 CallRecorded: no ``notes``, and
    # ``class_version`` 2 (the mapper adds it from v2 on).
    fact = FakeSession().record(b.call("old-call", "C1"))
    state = asdict(fact)
    for name in ("originator_id", "originator_version", "notes"):
        del state[name]
    stored = services.ledger.mapper.transcoder.encode(state | {"class_version": 2})
    assert b"notes" not in stored
    query(
        services.database_url,
        "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'touchpoint:CallRecorded', %s)",
        (ids.call_stream_id(b.ACD, "old-call"), stored),
    )

    [logged] = services.ledger.read_log(0, 10, kinds=["CallRecorded"])
    project(services)

    assert isinstance(logged.fact, f.CallRecorded)
    assert logged.fact.notes is None
    assert [(i.source_id, i.call.notes) for i in page(services).items] == [("old-call", None)]
