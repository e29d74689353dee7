"""API keys and roles.

A key is ``tp_<key_id>_<secret>``: the id is public (it names the author of the
facts a key records), the secret is 256 random bits. Only SHA-256 of the secret is
stored. A password hash (argon2, scrypt) exists to slow down guessing low-entropy
secrets; a 256-bit random secret cannot be guessed, so a plain digest compared in
constant time is as safe and keeps every request cheap. Keys are looked up on every
request (no cache), so revocation takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast, get_args

from psycopg_pool import ConnectionPool

Role = Literal["agent", "analyst", "auditor", "integrator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
_PREFIX = "tp"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's id, name and role."""

    key_id: str
    name: str
    role: Role

    @property
    def author(self) -> str:
        """How facts recorded with this key name their author."""
        return f"api:{self.key_id}:{self.role}"


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed: never its secret."""

    key_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _split(token: str) -> tuple[str, str] | None:
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyStore:
    """The ``api_keys`` table."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def create(self, role: Role, name: str) -> tuple[Principal, str]:
        """A new key; its plaintext is returned once and never stored."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32).replace("_", "-")
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, name, role, secret_sha256) VALUES (%s, %s, %s, %s)",
                (key_id, name, role, _digest(secret)),
            )
        return Principal(key_id, name, role), f"{_PREFIX}_{key_id}_{secret}"

    def revoke(self, key_id: str) -> bool:
        """Revoke a key at once; False if there is no such active key."""
        with self.pool.connection() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE key_id = %s AND revoked_at IS NULL",
                (key_id,),
            )
            return cur.rowcount == 1

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked key, else None."""
        parts = _split(token)
        if parts is None:
            return None
        key_id, secret = parts
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role, secret_sha256 FROM api_keys "
                "WHERE key_id = %s AND revoked_at IS NULL",
                (key_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(bytes(row[2]), _digest(secret)):
            return None
        return Principal(key_id, row[0], cast(Role, row[1]))

    def list_keys(self) -> list[KeyInfo]:
        """Every key, revoked ones included, oldest first (ids, names, roles, times)."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT key_id, name, role, created_at, revoked_at FROM api_keys "
                "ORDER BY created_at, key_id"
            ).fetchall()
        return [KeyInfo(row[0], row[1], cast(Role, row[2]), row[3], row[4]) for row in rows]

    def has_active(self, role: Role) -> bool:
        """Whether any unrevoked key of ``role`` exists."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM api_keys WHERE role = %s AND revoked_at IS NULL)",
                (role,),
            ).fetchone()
        return bool(row and row[0])
