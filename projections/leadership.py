"""One leader per view among the projector processes: PostgreSQL session advisory locks.

Each view has a lock key derived from its name (the same in every process and on every
PostgreSQL version). A projector process holds the locks of the views it leads on one
connection of its own, open for as long as it leads; it applies only those views. The
other processes are standbys for them: every ``poll_seconds`` they try the lock again,
so when the leader dies (its connection drops, PostgreSQL releases its session locks)
one of them takes over within a poll.

The locks are not what keeps a fact from being applied twice: each page is applied in
one transaction that row-locks the view's tracking row and checks its position
(``projections.tracking.lock_tracking``). Leadership keeps two processes from doing the
same work and contending for that row, and says plainly which process follows a view.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import Connection

__all__ = ["LOCK_SPACE", "Leadership", "leader_key", "leaders"]

log = logging.getLogger(__name__)

# First half of the two-integer advisory lock key: touchpoint's projectors (visible as
# ``classid`` in pg_locks); the second half is the view's key.
LOCK_SPACE = 0x7470_7276  # "tprv"
# The server notices a leader whose machine vanished (no FIN, no RST) within about
# idle + interval * count seconds, and releases its locks; a killed process is
# noticed at once (its kernel closes the socket).
_KEEPALIVES = "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3"
_CONNECT_SECONDS = 5
_TRY = (
    "SELECT name, pg_try_advisory_lock(%s, key) FROM unnest(%s::text[], %s::int[]) AS v(name, key)"
)
_LEADERS = (
    "SELECT objid::bigint, pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = %s::bigint AND objsubid = 2"
)


def leader_key(name: str) -> int:
    """The view's lock key: a signed 32-bit integer taken from SHA-256 of its name."""
    digest = hashlib.sha256(f"touchpoint projector {name}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def leaders(conn: Connection[Any], names: Sequence[str]) -> dict[str, int | None]:
    """The backend pid of each view's leader (None: no projector leads it)."""
    held = {int(objid): int(pid) for objid, pid in conn.execute(_LEADERS, (LOCK_SPACE,))}
    # pg_locks shows objid as an unsigned oid: the signed key modulo 2**32.
    return {name: held.get(leader_key(name) % 2**32) for name in names}


class Leadership:
    """The views this process leads, kept on a connection of its own.

    ``lead()`` is called from the projector's loop: at most every ``poll_seconds``
    it checks that the connection (and so every lock on it) is alive and tries the
    locks of the views not led yet; it returns the views this process may apply.
    """

    def __init__(self, conninfo: str, names: Sequence[str], poll_seconds: float = 1.0) -> None:
        self.conninfo = conninfo
        self.names = tuple(names)
        self.poll_seconds = poll_seconds
        self.held: set[str] = set()
        self._conn: Connection[Any] | None = None
        self._next_look = 0.0
        self._roles: dict[str, bool] = {}  # leads it?, as of the last look

    def lead(self) -> list[str]:
        """The views this process leads now (looked at again once ``poll_seconds`` passed)."""
        now = time.monotonic()
        if now >= self._next_look:
            self._next_look = now + self.poll_seconds
            self._look()
        return [name for name in self.names if name in self.held]

    def roles(self) -> dict[str, str]:
        """``leader`` or ``standby`` for each view, as of the last look (none before it)."""
        return {
            name: "leader" if leading else "standby" for name, leading in self._roles.copy().items()
        }

    def close(self) -> None:
        """Give up every lock (by closing the connection that holds them)."""
        if self._conn is not None:
            self._conn.close()
        self._conn, self.held = None, set()

    def _look(self) -> None:
        try:
            conn = self._connection()
            waiting = [name for name in self.names if name not in self.held]
            if not waiting:
                conn.execute("SELECT 1")  # the session, and with it the locks, still there
            else:
                keys = [leader_key(name) for name in waiting]
                rows = conn.execute(_TRY, (LOCK_SPACE, waiting, keys)).fetchall()
                self.held |= {str(name) for name, won in rows if won}
        except psycopg.Error as error:  # an outage: the runner logs it and retries too
            if self.held:
                log.warning("projector lost its leadership (%s); its views stand by", error)
            self.close()
        self._announce()

    def _connection(self) -> Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=_CONNECT_SECONDS,  # an unreachable host never stalls the loop
                options=_KEEPALIVES,
                application_name="touchpoint projector",
            )
        return self._conn

    def _announce(self) -> None:
        """Log each change of role (the first look included)."""
        for name in self.names:
            leading = name in self.held
            if self._roles.get(name) != leading:
                self._roles[name] = leading
                log.info(
                    "projector %s the %s view",
                    "leads" if leading else "stands by for",
                    name,
                )
