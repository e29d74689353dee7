"""Re-wrapping customers' data keys: plain keys of an older database, and KEK rotation.

``settle_data_keys`` runs in ``touchpoint migrate`` after alembic (the KEK is not
known to a migration script): a configured keyring file that does not exist yet is
made, but only for a database that holds no wrapped key (a new deployment; else
the file was lost or misnamed, and a new KEK would open nothing); then every plain
key a database from before migration 0011 holds is wrapped under the current KEK
and cleared, and the table rewritten (``VACUUM FULL``) so that its files no longer
hold the plain values.

``rotate_kek`` is ``touchpoint keys rotate-kek``: a new KEK version is added to the
keyring file, every live data key is re-wrapped under it (erased customers have
no key left to re-wrap), the older versions are marked retired in the database
(no writer may store a key under them any more) and deleted from the file.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg import Connection, sql

from api.storage.kek import (
    KEK_BYTES,
    KekMissing,
    Keks,
    create_keyring,
    read_keyring,
    unwrap_with,
    wrap_with,
    write_keyring,
)

__all__ = ["Rotation", "rotate_kek", "settle_data_keys", "wrap_plain_keys"]

_BATCH = 1000
_SNAPSHOT_WAIT_SECONDS = 60.0
# VACUUM VERBOSE's detail: "N dead row versions cannot be removed yet." (N first).
_KEPT = re.compile(r"\s*(\d+)")
# One statement per batch. A key erased meanwhile (no key left) is never given one back.
_UPDATE = (
    "UPDATE customer_keys AS k SET wrapped_key = u.wrapped, kek_version = %s, data_key = NULL "
    "FROM unnest(%s::uuid[], %s::bytea[]) AS u(customer_id, wrapped) "
    "WHERE k.customer_id = u.customer_id AND num_nonnulls(k.wrapped_key, k.data_key) = 1"
)


def settle_data_keys(url: str, keks: Keks | None) -> None:
    """After the migrations: the keyring made if it may be, plain keys wrapped (module doc)."""
    if keks is not None and keks.path is not None and not keks.path.exists():
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM customer_keys WHERE wrapped_key IS NOT NULL"
            ).fetchone()
        wrapped = int(row[0]) if row else 0
        if wrapped:
            msg = f"the KEK keyring {keks.path} does not exist and {wrapped} data keys need it"
            raise KekMissing(msg)
        keks.path.parent.mkdir(parents=True, exist_ok=True)
        create_keyring(keks.path)
    wrap_plain_keys(url, keks)


def wrap_plain_keys(url: str, keks: Keks | None) -> int:
    """Wrap every plain data key left in ``customer_keys``; how many there were.

    ``KekMissing`` if there are some and no keyring (nothing is changed then).
    """
    with psycopg.connect(url, autocommit=True) as conn:
        count = _plain_count(conn)
        if not count:
            return 0
        if keks is None or keks.path is None:
            msg = f"the database holds {count} plain data keys to wrap and no KEK keyring"
            raise KekMissing(msg)
        version = keks.current
        with conn.transaction():
            conn.execute("LOCK TABLE customer_keys IN SHARE ROW EXCLUSIVE MODE")
            plain = sql.SQL("data_key IS NOT NULL")
            for batch in _batches(conn, plain, ("customer_id", "data_key")):
                ids = [cid for cid, _ in batch]
                blobs = [keks.wrap(cid, bytes(key))[1] for cid, key in batch]
                conn.execute(_UPDATE, (version, ids, blobs))
        _rewrite_without_dead_rows(conn)
        if _plain_count(conn):
            raise RuntimeError("plain data keys are left in customer_keys after wrapping")
    return count


def _rewrite_without_dead_rows(conn: Connection[Any]) -> None:
    """Rewrite ``customer_keys`` into new files holding its live rows alone.

    The cleared rows' old versions are dead tuples holding the plain keys. ``VACUUM
    FULL`` copies the live rows into new files (the old ones are deleted), but also
    the dead ones a snapshot may still see (any session's, of any database of a
    shared server): it is repeated until its report says none was kept.
    """
    kept: list[int] = []

    def note(diagnostic: psycopg.errors.Diagnostic) -> None:
        found = _KEPT.match(diagnostic.message_detail or "")
        if found:
            kept.append(int(found.group(1)))

    conn.add_notice_handler(note)
    deadline = time.monotonic() + _SNAPSHOT_WAIT_SECONDS
    try:
        while True:
            kept.clear()
            conn.execute("VACUUM (FULL, VERBOSE) customer_keys")
            if not any(kept):
                return
            if time.monotonic() > deadline:
                msg = (
                    "sessions hold snapshots older than the wrapping of the plain data keys, so "
                    "their old copies cannot be removed yet: end them and run `touchpoint "
                    "migrate` again"
                )
                raise RuntimeError(msg)
            time.sleep(0.5)
    finally:
        conn.remove_notice_handler(note)


def _plain_count(conn: Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM customer_keys WHERE data_key IS NOT NULL").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Rotation:
    """What ``rotate_kek`` did: the new version, keys re-wrapped, versions retired."""

    version: int
    rewrapped: int
    retired: list[int]


def rotate_kek(url: str, path: Path) -> Rotation:
    """Re-wrap every live data key under a new KEK version and retire the older ones.

    Safe to run while the service runs: the keys are re-wrapped a batch at a time
    (each batch its own transaction), then once more, for keys written meanwhile
    under an old version, in one transaction that locks the table against writes
    and retires the old versions (writers that read the keyring before are then
    refused by the database and wrap again). A crash before the end leaves the old
    versions in the file; running it again finishes the job.
    """
    before = read_keyring(path)
    version = max(before) + 1
    after = before | {version: secrets.token_bytes(KEK_BYTES)}
    write_keyring(path, after)  # first: from now on, writers wrap under the new version
    with psycopg.connect(url, autocommit=True) as conn:
        count = _rewrap(conn, after, version)  # writers go on meanwhile
        with conn.transaction():
            conn.execute("LOCK TABLE customer_keys IN SHARE ROW EXCLUSIVE MODE")
            count += _rewrap(conn, after, version)
            conn.execute("UPDATE customer_key_kek SET retired_below = %s", (version,))
        write_keyring(path, {version: after[version]})  # the old KEKs, gone for ever
        conn.execute("VACUUM customer_keys")
    return Rotation(version, count, sorted(before))


def _rewrap(conn: Connection[Any], keks: dict[int, bytes], version: int) -> int:
    count = 0
    where = sql.SQL("wrapped_key IS NOT NULL AND kek_version <> {}").format(version)
    columns = ("customer_id", "kek_version", "wrapped_key")
    for batch in _batches(conn, where, columns):
        blobs = []
        for cid, old, blob in batch:
            if old not in keks:
                msg = f"customer {cid}'s key is wrapped under KEK version {old}, not in the keyring"
                raise KekMissing(msg)
            key = unwrap_with(keks[old], old, cid, bytes(blob))
            blobs.append(wrap_with(keks[version], version, cid, key))
        count += conn.execute(_UPDATE, (version, [row[0] for row in batch], blobs)).rowcount
    return count


def _batches(
    conn: Connection[Any], where: sql.Composable, columns: tuple[str, ...]
) -> Iterator[list[Any]]:
    """Rows of ``customer_keys`` matching ``where``, a batch at a time, in key order."""
    after = UUID(int=0)
    select = sql.SQL(
        "SELECT {} FROM customer_keys WHERE {} AND customer_id > %s ORDER BY customer_id LIMIT {}"
    ).format(sql.SQL(", ").join(map(sql.Identifier, columns)), where, _BATCH)
    while batch := conn.execute(select, (after,)).fetchall():
        yield batch
        after = batch[-1][0]
