"""API keys and roles.

A key is ``tp_<key_id>_<secret>``: the id is public (it names the author of the
facts a key records), the secret is 256 random bits. What is stored (column
``secret_sha256``) is HMAC-SHA256 of the secret under a server secret
(``api_key_secret``), compared in constant time.

Why HMAC and not a password hash (argon2, scrypt): a password hash is slow on
purpose, to make guessing low-entropy secrets expensive; a 256-bit random secret
cannot be guessed however fast each try is, so the slowness would only cost every
request tens of milliseconds (keys are checked on every request, with no cache, so
that revocation takes effect at once). What the HMAC adds over a plain digest is
that a copy of the database (a leaked backup, a read-only SQL injection) is not
enough to check a stolen or guessed key offline, nor to mint a digest for a key of
one's own choosing and write it in: that needs the server secret too, which is
kept out of the database.

Where the server secret comes from (``key_secret``): ``TOUCHPOINT_API_KEY_SECRET``
if set; else, with the embedded server, a secret generated on first start into
``data_dir/api_key_secret`` (mode 0600) and reused after; else (a database URL
and no secret) none, and ``touchpoint serve`` / ``keys create`` refuse to start:
deriving one per host would silently give two API hosts different secrets, and
deriving it from the database would put it next to what it protects.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, cast, get_args

from psycopg_pool import ConnectionPool

from api.settings import Settings

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


SECRET_FILE = "api_key_secret"
MIN_SECRET_LENGTH = 32


class KeySecretMissing(RuntimeError):
    """No server secret for API keys (a database URL without ``api_key_secret``)."""

    def __init__(self) -> None:
        super().__init__(
            "TOUCHPOINT_API_KEY_SECRET is not set: with TOUCHPOINT_DATABASE_URL, every API "
            "process must share one server secret for API keys. Generate one (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), keep it out of "
            "the database, and set it for `touchpoint serve` and `touchpoint keys create`."
        )


def key_secret(settings: Settings) -> bytes | None:
    """The server secret of API keys, per the module docstring (None: there is none)."""
    value = _configured(settings)
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            msg = f"TOUCHPOINT_API_KEY_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            raise ValueError(msg)
        return value.encode()
    if settings.embedded:
        return load_or_create_secret(settings.data_dir / SECRET_FILE)
    return None


def check_key_secret(settings: Settings) -> None:
    """Raise ``KeySecretMissing`` at once if keys would have no server secret
    (``ValueError`` if the one configured is too short).

    For commands that make or check keys, before they start anything (the embedded
    server's secret is made later, once its data folder exists).
    """
    if not settings.embedded and not _configured(settings):
        raise KeySecretMissing
    if _configured(settings):
        key_secret(settings)  # a short one raises now, before anything starts


def _configured(settings: Settings) -> str:
    """The configured secret ('' when unset or set empty)."""
    secret = settings.api_key_secret
    return secret.get_secret_value() if secret is not None else ""


def load_or_create_secret(path: Path) -> bytes:
    """The secret in ``path``, made (256 random bits, mode 0600) if there is none yet."""
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
        try:
            # A hard link appears whole or not at all and never replaces a file: of two
            # processes starting at once, one secret wins and both read it.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


def _digest(server_secret: bytes | None, secret: str) -> bytes:
    if server_secret is None:
        raise KeySecretMissing
    return hmac.digest(server_secret, secret.encode(), "sha256")


def _split(token: str) -> tuple[str, str] | None:
    parts = token.split("_")
    if len(parts) != 3 or parts[0] != _PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class KeyStore:
    """The ``api_keys`` table; ``secret`` is the server secret (None: keys cannot be used)."""

    def __init__(self, pool: ConnectionPool, secret: bytes | None) -> None:
        self.pool = pool
        self.secret = secret

    def create(self, role: Role, name: str) -> tuple[Principal, str]:
        """A new key; its plaintext is returned once and never stored."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32).replace("_", "-")
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, name, role, secret_sha256) VALUES (%s, %s, %s, %s)",
                (key_id, name, role, _digest(self.secret, secret)),
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
        digest = _digest(self.secret, secret)  # computed before the look-up: same work either way
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role, secret_sha256 FROM api_keys "
                "WHERE key_id = %s AND revoked_at IS NULL",
                (key_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(bytes(row[2]), digest):
            return None
        return Principal(key_id, row[0], cast(Role, row[1]))

    def is_active(self, key_id: str) -> bool:
        """Whether the key ``key_id`` exists and is not revoked (open live streams ask)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM api_keys WHERE key_id = %s AND revoked_at IS NULL)",
                (key_id,),
            ).fetchone()
        return bool(row and row[0])

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
