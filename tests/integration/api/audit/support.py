"""Helpers shared by the audit tests (this module holds no tests).

A small history recorded through the real ledger (with a gap, as a rolled-back
append leaves one), and tampering done the only way it can be: as the database
superuser, with the log's append-only triggers switched off for the moment.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

import psycopg

from api.audit.verify import VerifyReport, verify_log
from api.bootstrap import Services
from domain.chain.hashes import encode_record
from tests import builders as b
from tests.integration.sql import query

NAME, EMAIL, PHONE = "Ottoline Quarrington", "ottoline.q@example.net", "+44 20 7946 0815"
LOG_TABLES = ("touchpoint_events", "touchpoint_chain", "touchpoint_merkle_nodes")
"""The append-only tables an intruder with the database files switches the triggers of off."""


def record_history(services: Services, calls: int = 6) -> list[int]:
    """Every kind of fact, a gap in the positions, then some calls; the positions."""
    ledger = services.ledger
    first = [o.position for o in ledger.record_batch(b.one_of_each(), "test:auditor-setup")]
    skip_positions(services.database_url, 2)
    more = [
        ledger.record(b.call(f"audit-call-{i}", ref=f"C{i % 3}"), f"test:clerk-{i}").position
        for i in range(calls)
    ]
    return [p for p in first + more if p is not None]


def skip_positions(url: str, count: int) -> None:
    """Take positions that no event will have, as rolled-back appends do."""
    for _ in range(count):
        query(url, "SELECT nextval('touchpoint_events_notification_id_seq')")


def tamper(url: str, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """Run ``statements`` on the log with its (user) triggers off: what an intruder would do."""
    with psycopg.connect(url, autocommit=True) as conn:
        for table in LOG_TABLES:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            for statement in statements:
                conn.execute(statement, params or None)
        finally:
            for table in LOG_TABLES:
                conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def verify(services: Services, trusted: Any = None) -> VerifyReport:
    """Full verification (or from ``trusted``) on the test's database."""
    with services.key_pool.connection() as conn:
        return verify_log(conn, trusted)


def positions(url: str) -> list[int]:
    """Positions of the events, in order."""
    rows = query(url, "SELECT notification_id FROM touchpoint_events ORDER BY notification_id")
    return [int(row[0]) for row in rows]


def chain(url: str) -> list[tuple[int, int, bytes]]:
    """The chain entries (position, seq, hash), in order."""
    rows = query(url, "SELECT position, seq, hash FROM touchpoint_chain ORDER BY seq")
    return [(int(p), int(s), bytes(h)) for p, s, h in rows]


def event(url: str, position: int) -> tuple[bytes, int, bytes, bytes]:
    """The stored record at ``position``: originator id bytes, version, topic, state."""
    [(oid, version, topic, state)] = query(
        url,
        "SELECT originator_id, originator_version, topic, state FROM touchpoint_events "
        "WHERE notification_id = %s",
        (position,),
    )
    return oid.bytes, int(version), topic.encode(), bytes(state)


def forged_hash(previous: bytes, position: int, record: tuple[bytes, int, bytes, bytes]) -> bytes:
    """The chain hash a forger would compute for ``record`` at ``position``."""
    return sha256(previous + encode_record(position, *record)).digest()
