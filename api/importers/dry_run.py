"""``--dry-run``: every row checked as the ledger would record it, nothing written.

``DryRun`` stands in for the ledger in an import: it decides each fact with the
domain's own rules (``domain.decide.decide``) against the log as it stands plus the
facts decided earlier in the same run (a campaign planned on line 2 lets line 3's
send pass), and answers duplicates and conflicts as the ledger does. It saves
nothing and creates no customer key: customers without one get a throwaway key that
lives only as long as the run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from uuid import UUID

from psycopg_pool import ConnectionPool

from api.storage.kek import Keks
from api.storage.vault import AesKeyring, read_keys
from domain import commands as c
from domain import errors
from domain.decide import decide
from domain.facts import Fact
from domain.ids import customer_stream_id
from domain.ledger import Ledger
from domain.outcomes import Outcome
from domain.ports import Keyring, KnownFact

__all__ = ["DryRun"]

_KEY_BYTES = 32


@dataclass
class _Session:
    """``domain.decide.Session`` over the run's streams."""

    now: datetime
    author: str
    keyring: Keyring
    earliest: datetime
    streams: dict[UUID, list[Fact]] = field(default_factory=dict)

    def stream(self, stream_id: UUID) -> Sequence[Fact]:
        return self.streams.setdefault(stream_id, [])


class DryRun:
    """A ledger stand-in: ``record_batch`` decides every fact, saves none."""

    def __init__(self, ledger: Ledger, pool: ConnectionPool, keks: Keks) -> None:
        self.ledger, self.pool, self.keks = ledger, pool, keks
        self.streams: dict[UUID, list[Fact]] = {}
        self.seen: dict[UUID, bytes] = {}  # fact id -> content hash, decided in this run
        self.keys: dict[str, bytes | None] = {}

    def record_batch(self, cmds: Sequence[c.Command], author: str) -> list[Outcome]:
        """What ``Ledger.record_batch`` would answer, had nothing been written meanwhile."""
        self._load(cmds)
        keyring = self._keyring({cmd.customer for cmd in cmds if cmd.customer})
        known = self.ledger.store.lookup_facts([cmd.fact_id() for cmd in cmds])
        session = _Session(self.ledger.clock(), author, keyring, self.ledger.earliest, self.streams)
        outcomes = []
        for index, cmd in enumerate(cmds):
            try:
                outcomes.append(self._decide(index, cmd, session, known))
            except errors.DomainError as error:
                outcomes.append(Outcome(index, "refused", error=error))
        return outcomes

    def _decide(
        self, index: int, cmd: c.Command, session: _Session, known: dict[UUID, KnownFact]
    ) -> Outcome:
        fact_id = cmd.fact_id()
        digest = cmd.content_hash(session.keyring.fingerprint)
        prior = known.get(fact_id)
        earlier = prior.content_hash if prior is not None else self.seen.get(fact_id)
        if earlier is not None:
            if earlier != digest:
                position = prior.position if prior is not None else None
                msg = "this source_id was recorded with other content"
                raise errors.FactConflict(msg, original_position=position)
            return Outcome(index, "duplicate")
        fact = decide(cmd, session)
        self.streams.setdefault(fact.originator_id, []).append(fact)
        self.seen[fact_id] = digest
        return Outcome(index, "recorded", stream_id=fact.originator_id)

    def _load(self, cmds: Sequence[c.Command]) -> None:
        wanted = {sid for cmd in cmds for sid in cmd.streams_to_load()} - self.streams.keys()
        for sid in wanted:
            self.streams[sid] = []
        ordered = sorted(wanted, key=attrgetter("int"))
        for record in self.ledger.store.load_streams(ordered) if ordered else ():
            self.streams[record.originator_id].append(self.ledger.decode(record))

    def _keyring(self, refs: set[str]) -> Keyring:
        """Customers' real keys (fingerprints must match the log's), else throwaway ones."""
        missing = sorted(refs - self.keys.keys())
        if missing:
            with self.pool.connection() as conn:
                found = read_keys(conn, self.keks, [customer_stream_id(r) for r in missing])
            for ref in missing:
                self.keys[ref] = found[ref] if ref in found else os.urandom(_KEY_BYTES)
        return AesKeyring(self.keys)
