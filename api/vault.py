"""Per-customer data keys in PostgreSQL and AES-GCM sealing (crypto-shredding)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg_pool import ConnectionPool

from domain import errors
from domain.ids import customer_stream_id

_PREFIX = "tp1."
_NONCE_BYTES = 12


class AesKeyring:
    """Data keys of some customers; ``None`` marks a destroyed (erased) key."""

    def __init__(self, keys: dict[str, bytes | None]) -> None:
        self._keys = keys

    def _key(self, customer_ref: str) -> bytes:
        key = self._keys.get(customer_ref)
        if key is None:
            msg = f"customer {customer_ref} was erased; personal data cannot be recorded"
            raise errors.CustomerErased(msg, field="customer_ref")
        return key

    def seal(self, customer_ref: str, plaintext: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        aad = customer_stream_id(customer_ref).bytes  # binds ciphertext to its customer
        sealed = AESGCM(self._key(customer_ref)).encrypt(nonce, plaintext.encode(), aad)
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, customer_ref: str, sealed: str) -> str | None:
        key = self._keys.get(customer_ref)
        if key is None:
            return None
        raw = base64.urlsafe_b64decode(sealed.removeprefix(_PREFIX))
        aad = customer_stream_id(customer_ref).bytes
        return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad).decode()

    def fingerprint(self, customer_ref: str, plaintext: str) -> str:
        return hmac.new(self._key(customer_ref), plaintext.encode(), hashlib.sha256).hexdigest()


class PostgresKeyVault:
    """The ``customer_keys`` table: one AES-256 key per customer, destroyable."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> AesKeyring:
        refs = sorted(set(customer_refs))
        if not refs:
            return AesKeyring({})
        ids = [customer_stream_id(ref) for ref in refs]
        with self.pool.connection() as conn:
            if create:
                conn.execute(
                    "INSERT INTO customer_keys (customer_id, customer_ref, data_key) "
                    "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::bytea[]) "
                    "ON CONFLICT (customer_id) DO NOTHING",
                    (ids, refs, [AESGCM.generate_key(256) for _ in refs]),
                )
            rows = conn.execute(
                "SELECT customer_ref, data_key FROM customer_keys WHERE customer_id = ANY(%s)",
                (ids,),
            ).fetchall()
        return AesKeyring({ref: None if key is None else bytes(key) for ref, key in rows})

    def destroy(self, customer_ref: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO customer_keys (customer_id, customer_ref, data_key, destroyed_at) "
                "VALUES (%s, %s, NULL, now()) ON CONFLICT (customer_id) DO UPDATE "
                "SET data_key = NULL, "
                "destroyed_at = coalesce(customer_keys.destroyed_at, now())",
                (customer_stream_id(customer_ref), customer_ref),
            )
