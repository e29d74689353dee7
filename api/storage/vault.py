"""Per-customer data keys in PostgreSQL and AES-GCM sealing (crypto-shredding).

Each data key is stored only wrapped under a key-encryption key kept outside the
database (``api.storage.kek``): a copy of the database files alone opens nothing.
Erasure deletes the wrapped key (a marker row says the customer was erased) and
vacuums the table; ``touchpoint keys rotate-kek`` then retires the KEK that
wrapped it, so that no copy left in dead tuples, WAL or backups can be unwrapped.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import Connection
from psycopg_pool import ConnectionPool

from api.storage.kek import Keks
from domain import errors
from domain.ids import customer_stream_id

__all__ = ["AesKeyring", "PostgresKeyVault", "SnapshotVault", "read_keys"]

_PREFIX = "tp1."
_NONCE_BYTES = 12
_RETIRED = "TPK01"  # SQLSTATE of a key wrapped under a retired KEK (migration 0011)
log = logging.getLogger(__name__)


class AesKeyring:
    """Data keys of some customers; ``None`` marks a destroyed (erased) key.

    A keyring lives for one unit of work (keys are never cached across them, so an
    erasure takes effect at once); within it each customer's cipher and associated
    data are made once, not once per sealed field.
    """

    def __init__(self, keys: dict[str, bytes | None]) -> None:
        self._keys = keys
        self._ciphers: dict[str, tuple[AESGCM, bytes]] = {}

    def _key(self, customer_ref: str) -> bytes:
        key = self._keys.get(customer_ref)
        if key is None:
            msg = f"customer {customer_ref} was erased; personal data cannot be recorded"
            raise errors.CustomerErased(msg, field="customer_ref")
        return key

    def _cipher(self, customer_ref: str) -> tuple[AESGCM, bytes]:
        cipher = self._ciphers.get(customer_ref)
        if cipher is None:
            aad = customer_stream_id(customer_ref).bytes  # binds ciphertext to its customer
            cipher = self._ciphers[customer_ref] = (AESGCM(self._key(customer_ref)), aad)
        return cipher

    def seal(self, customer_ref: str, plaintext: str) -> str:
        aes, aad = self._cipher(customer_ref)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = aes.encrypt(nonce, plaintext.encode(), aad)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, customer_ref: str, sealed: str) -> str | None:
        if self._keys.get(customer_ref) is None:
            return None
        aes, aad = self._cipher(customer_ref)
        raw = base64.urlsafe_b64decode(sealed.removeprefix(_PREFIX))
        return aes.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad).decode()

    def fingerprint(self, customer_ref: str, plaintext: str) -> str:
        return hmac.digest(self._key(customer_ref), plaintext.encode(), "sha256").hex()


# Keys are made first: a new customer (the common case when keys are made) then
# costs one statement. Keys that already existed, or that another writer made
# meanwhile, are not returned by the insert and are read after it.
_MAKE = (
    "INSERT INTO customer_keys (customer_id, customer_ref, wrapped_key, kek_version) "
    "SELECT * FROM unnest(%b::uuid[], %b::text[], %b::bytea[], %b::int[]) "
    "ON CONFLICT (customer_id) DO NOTHING RETURNING customer_ref"
)
_READ = (
    "SELECT customer_id, customer_ref, kek_version, wrapped_key FROM customer_keys "
    "WHERE customer_id = ANY(%b::uuid[])"
)
# The marker of an erased customer: no key of any kind, wrapped or not.
_DESTROY = (
    "INSERT INTO customer_keys (customer_id, customer_ref, destroyed_at) "
    "VALUES (%s, %s, now()) ON CONFLICT (customer_id) DO UPDATE "
    "SET wrapped_key = NULL, kek_version = NULL, data_key = NULL, "
    "destroyed_at = coalesce(customer_keys.destroyed_at, now())"
)


class PostgresKeyVault:
    """The ``customer_keys`` table: one AES-256 key per customer (wrapped), destroyable."""

    def __init__(self, pool: ConnectionPool, keks: Keks) -> None:
        self.pool = pool
        self.keks = keks

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> AesKeyring:
        refs = sorted(set(customer_refs))
        if not refs:
            return AesKeyring({})
        ids = [customer_stream_id(ref) for ref in refs]
        with _statements_alone(self.pool) as conn:
            if create:
                return AesKeyring(_make_then_read(conn, self.keks, refs, ids))
            return AesKeyring(read_keys(conn, self.keks, ids))

    def destroy(self, customer_ref: str) -> None:
        """Delete the customer's wrapped key for ever, then vacuum its dead copy away.

        The vacuum is best effort (another transaction may still see the old row,
        or the role may not own the table): what makes the erasure final against a
        copy of the files is the next KEK rotation (README, "Erasure").
        """
        with _statements_alone(self.pool) as conn:
            conn.execute(_DESTROY, (customer_stream_id(customer_ref), customer_ref))
            try:
                conn.execute("VACUUM customer_keys")
            except psycopg.Error as error:  # the key is gone either way; say why it stays dead
                log.warning("erasure of %s: VACUUM customer_keys failed: %s", customer_ref, error)


@contextmanager
def _statements_alone(pool: ConnectionPool) -> Iterator[Connection[Any]]:
    """A pooled connection in autocommit: no BEGIN and COMMIT round trips.

    Each statement here is whole by itself (reading twice was never one
    snapshot: each statement of a read-committed transaction takes its own).
    The pool's other users expect transactions, so autocommit is switched off
    again before the connection goes back.
    """
    with pool.connection() as conn:
        conn.autocommit = True
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.autocommit = False


def _make_then_read(
    conn: Connection[Any], keks: Keks, refs: list[str], ids: list[UUID]
) -> dict[str, bytes | None]:
    fresh = [AESGCM.generate_key(256) for _ in refs]
    for attempt in (1, 2):
        wrapped = [keks.wrap(cid, key) for cid, key in zip(ids, fresh, strict=True)]
        blobs, versions = [blob for _, blob in wrapped], [version for version, _ in wrapped]
        try:
            made = conn.execute(_MAKE, (ids, refs, blobs, versions), prepare=True).fetchall()
            break
        except psycopg.Error as error:
            # A rotation retired the KEK read just before it: the keyring file has
            # changed since, and wrapping again uses its new version.
            if error.sqlstate != _RETIRED or attempt == 2:
                raise
    keys: dict[str, bytes | None] = dict(zip(refs, fresh, strict=True))
    keys = {ref: keys[ref] for (ref,) in made}
    missed = [cid for ref, cid in zip(refs, ids, strict=True) if ref not in keys]
    if missed:
        keys |= read_keys(conn, keks, missed)
    return keys


def read_keys(conn: Connection[Any], keks: Keks, ids: list[UUID]) -> dict[str, bytes | None]:
    """The keys of the customers ``ids`` unwrapped (``None``: erased), by reference."""
    rows = conn.execute(_READ, (ids,), prepare=True).fetchall()
    return {
        ref: None if blob is None else keks.unwrap(cid, version, bytes(blob))
        for cid, ref, version, blob in rows
    }


class SnapshotVault:
    """Reads customers' data keys on the caller's connection, in its snapshot.

    A read then never holds two pooled connections at once (nested checkouts can
    starve a small pool under load), and sees erasure as of the same moment as the
    view. It only reads: creating or destroying keys is the ledger's business.
    """

    def __init__(self, conn: Connection[Any], keks: Keks) -> None:
        self.conn = conn
        self.keks = keks

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> AesKeyring:
        """The keys of ``customer_refs`` (a destroyed or missing key opens nothing)."""
        if create:
            raise NotImplementedError("reads never create keys")
        ids = [customer_stream_id(ref) for ref in sorted(set(customer_refs))]
        return AesKeyring(read_keys(self.conn, self.keks, ids) if ids else {})

    def destroy(self, customer_ref: str) -> None:
        """Never: reads do not destroy keys."""
        raise NotImplementedError("reads never destroy keys")
