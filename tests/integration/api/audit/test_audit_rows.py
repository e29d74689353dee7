"""Verification's fast row stream shows exactly what the plain merge of events and entries shows."""

from __future__ import annotations

import pytest

from api.audit.rows import PAGE, log_rows, verification_rows
from tests.integration.api.audit.support import record_history, tamper, verify

DELETE = "DELETE FROM touchpoint_events WHERE notification_id = %s"
FORGE = (
    "INSERT INTO touchpoint_events (originator_id, originator_version, topic, state, "
    "notification_id) VALUES (gen_random_uuid(), 1, 'x:y', '\\x00', %s)"
)


def both(services, page: int = PAGE) -> tuple[list, list]:
    with services.key_pool.connection() as conn:
        plain = list(log_rows(conn, page=page))
        conn.commit()
        fast = list(verification_rows(conn, 0, 0, page=page))
    return plain, fast


@pytest.mark.parametrize("page", [1, 3, 2000])
@pytest.mark.parametrize(
    "victims", [[0], [-1], [4], [4, 5, 9], [0, -1, 7]], ids=["first", "last", "one", "some", "ends"]
)
def test_deleted_events_show_as_entries_without_events_in_both_streams(
    services, database_url, page, victims
):
    recorded = record_history(services)
    for victim in victims:
        tamper(database_url, DELETE, params=(recorded[victim],))

    plain, fast = both(services, page)

    assert fast == plain
    assert [row[0] for row in fast if row[1] is None] == sorted(recorded[v] for v in victims)


def test_a_forged_event_without_entry_next_to_a_deleted_one_is_shown_as_both(
    services, database_url
):
    recorded = record_history(services)
    gap = next(p for p in range(recorded[0], recorded[-1]) if p not in recorded)
    after_gap = min(p for p in recorded if p > gap)
    tamper(database_url, DELETE, params=(after_gap,))
    tamper(database_url, FORGE, params=(gap,))

    plain, fast = both(services, page=4)
    report = verify(services)

    assert fast == plain
    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (gap, "chain-missing")


def test_the_last_event_deleted_is_named_though_no_event_follows_it(services, database_url):
    recorded = record_history(services)
    tamper(database_url, DELETE, params=(recorded[-1],))

    report = verify(services)

    assert report.problem is not None
    assert (report.problem.position, report.problem.kind) == (recorded[-1], "event-missing")
