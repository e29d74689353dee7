"""The ledger application service: records facts once, reads the log back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (  # type: ignore[attr-defined]  # re-exported names
    Application,
    Environment,
    EnvType,
)

from domain import commands as c
from domain import errors
from domain.decide import decide
from domain.facts import Fact, topic_of
from domain.outcomes import Outcome, Pending
from domain.ports import (
    FactKey,
    FactStore,
    Keyring,
    KeyVault,
    KnownFact,
    StoredRecord,
    WriteCollision,
)
from domain.reading import LoggedFact
from domain.rules import EARLIEST

__all__ = ["MAX_ATTEMPTS", "Ledger"]

MAX_ATTEMPTS = 8


@dataclass
class _UnitOfWork:
    """Streams as they stand during one attempt, including facts decided so far."""

    now: datetime
    author: str
    keyring: Keyring
    streams: dict[UUID, list[Fact]]
    known: dict[UUID, KnownFact] = field(default_factory=dict)
    new_facts: list[Fact] = field(default_factory=list)
    keys: list[FactKey] = field(default_factory=list)
    seen: dict[UUID, tuple[int, bytes]] = field(default_factory=dict)  # fact id -> item, hash
    earliest: datetime = EARLIEST

    def stream(self, stream_id: UUID) -> Sequence[Fact]:
        return self.streams.setdefault(stream_id, [])

    def append(self, fact: Fact) -> None:
        self.streams.setdefault(fact.originator_id, []).append(fact)
        self.new_facts.append(fact)


class Ledger(Application[UUID]):
    """Every fact recorded once, in one ordered log."""

    name = "touchpoint"

    def __init__(
        self,
        env: dict[str, str],
        vault: KeyVault,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        earliest: datetime = EARLIEST,
    ) -> None:
        """``earliest``: facts that occurred before it are refused (a setting; issue 14)."""
        super().__init__(env)
        if not isinstance(self.recorder, FactStore):
            msg = "the ledger needs a recorder that is also a FactStore"
            raise TypeError(msg)
        self.store: FactStore = self.recorder
        self.vault = vault
        self.clock = clock
        self.earliest = earliest

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """Only the env dict given (no ``os.environ``): configuration is explicit."""
        return Environment(name, dict(env or {}))

    # --- recording -------------------------------------------------------

    def record(self, cmd: c.Command, author: str) -> Outcome:
        """Record one fact; refusals and conflicts raise their domain error."""
        outcome = self.record_batch([cmd], author)[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome

    def record_batch(self, cmds: Sequence[c.Command], author: str) -> list[Outcome]:
        """Record many facts in one transaction, with one outcome per item."""
        look_up: bool | None = None  # decided from the streams (see _may_be_known)
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._attempt(cmds, author, look_up=look_up)
            except WriteCollision:
                look_up = True  # someone else wrote one of these facts: classify
        msg = "concurrent writers kept colliding on these facts; nothing was written"
        raise errors.WriteContention(msg)

    def erase_customer(self, customer_ref: str, author: str, reason: str | None = None) -> Outcome:
        """Destroy the customer's data key, then record ``CustomerErased``.

        The key goes first: if recording the fact fails, the personal data is
        already unreadable and asking again records the fact.
        """
        self.vault.destroy(customer_ref)
        cmd = c.EraseCustomer(
            occurred_at=self.clock(),
            source="touchpoint",
            source_id=customer_ref,
            customer_ref=customer_ref,
            reason=reason,
        )
        return self.record(cmd, author)

    def _attempt(
        self, cmds: Sequence[c.Command], author: str, *, look_up: bool | None
    ) -> list[Outcome]:
        fact_ids = [cmd.fact_id() for cmd in cmds]
        # Streams before known facts: a fact another writer committed before the
        # streams were read is then surely known (a duplicate), never mistaken for
        # a rule violation such as "customer already registered".
        streams = self._load(cmds)
        if look_up is None:
            look_up = any(_may_be_known(cmd, streams) for cmd in cmds)
        known = self.store.lookup_facts(fact_ids) if look_up else {}
        personal = {cmd.customer for cmd in cmds if cmd.customer and _has_personal(cmd)}
        keyring = self.vault.keyring(personal, create=True)
        uow = _UnitOfWork(self.clock(), author, keyring, streams, known, earliest=self.earliest)
        pending = [
            self._decide_item(i, cmd, fid, uow)
            for i, (cmd, fid) in enumerate(zip(cmds, fact_ids, strict=True))
        ]
        positions = self._save(uow.new_facts, uow.keys)
        done: list[Outcome] = []
        for item in pending:
            done.append(item.resolve(positions, done))
        return done

    def _decide_item(self, index: int, cmd: c.Command, fact_id: UUID, uow: _UnitOfWork) -> Pending:
        try:
            digest = cmd.content_hash(uow.keyring.fingerprint)
            if fact_id in uow.known:
                return _against_known(index, uow.known[fact_id], digest)
            if fact_id in uow.seen:
                return _against_batch(index, *uow.seen[fact_id], digest)
            fact = decide(cmd, uow)
        except errors.DomainError as error:
            return Pending(index, "refused", error=error)
        uow.append(fact)
        uow.keys.append(FactKey(fact_id, fact.originator_id, fact.originator_version, digest))
        uow.seen[fact_id] = (index, digest)
        return Pending(index, "recorded", fact.originator_id, fact.originator_version)

    def _load(self, cmds: Sequence[c.Command]) -> dict[UUID, list[Fact]]:
        wanted = {sid for cmd in cmds for sid in cmd.streams_to_load()}
        streams: dict[UUID, list[Fact]] = {sid: [] for sid in wanted}
        # Sorted by the integer value (UUID order, without a Python __lt__ per comparison).
        ordered = sorted(wanted, key=attrgetter("int"))
        for record in self.store.load_streams(ordered) if wanted else ():
            streams[record.originator_id].append(self.decode(record))
        return streams

    def _save(self, facts: list[Fact], keys: list[FactKey]) -> dict[tuple[UUID, int], int]:
        if not facts:
            return {}
        # What ``self.save`` does for bare events (no aggregates, no snapshots),
        # without its per-event runtime-protocol checks, a tenth of a batch's CPU.
        recordings = self.events.put(facts, fact_keys=keys)
        self._notify(recordings)
        positions: dict[tuple[UUID, int], int] = {}
        for recording in recordings:
            note = recording.notification
            positions[(cast(UUID, note.originator_id), note.originator_version)] = note.id
        return positions

    # --- reading ---------------------------------------------------------

    def decode(self, record: StoredRecord) -> Fact:
        """The fact of a stored record (upcast to the current class version)."""
        return cast(Fact, self.mapper.to_domain_event(cast(Any, record)))

    def read_log(
        self, after: int = 0, limit: int = 100, kinds: Sequence[str] = ()
    ) -> list[LoggedFact]:
        """Facts in log order after position ``after``, optionally of some kinds."""
        topics = [topic_of(kind) for kind in kinds]
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, topics=topics, inclusive_of_start=False
        )
        return [LoggedFact(n.id, self.decode(cast(Any, n))) for n in notifications]

    def read_stream(self, stream_id: UUID) -> list[LoggedFact]:
        """One stream's facts in stream order."""
        return [
            LoggedFact(r.position, self.decode(r)) for r in self.store.load_streams([stream_id])
        ]

    def reveal(self, logged: Sequence[LoggedFact]) -> list[dict[str, Any]]:
        """Facts as plain data, personal fields opened (or marked erased)."""
        refs = {ref for item in logged if (ref := item.customer_ref) and item.fact.PERSONAL}
        keyring = self.vault.keyring(refs, create=False)
        return [item.as_dict(keyring) for item in logged]

    def head_position(self) -> int:
        """The highest position in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0


def _has_personal(cmd: c.Command) -> bool:
    """Whether ``cmd`` carries a personal value (only then is a data key made or needed:
    a call without notes makes no key for its customer)."""
    return any(getattr(cmd, name) is not None for name in cmd.PERSONAL)


def _may_be_known(cmd: c.Command, streams: dict[UUID, list[Fact]]) -> bool:
    """Whether ``cmd``'s fact may already be in the log, worth a look-up first.

    The same content names the same stream, so a fact recorded before has left a
    fact in that stream: a new customer's registration needs no look-up. A fact
    that opens its stream has its stream's id. Either way, a fact recorded by
    someone else meanwhile makes the insert collide, and the retry looks up.
    """
    return not cmd.OPENS_STREAM and bool(streams.get(cmd.stream_id()))


def _against_known(index: int, known: KnownFact, digest: bytes) -> Pending:
    if known.content_hash == digest:
        return Pending(index, "duplicate", known.stream_id, position=known.position)
    conflict = errors.FactConflict(
        f"this source_id was recorded at position {known.position} with other content",
        original_position=known.position,
    )
    return Pending(index, "refused", known.stream_id, error=conflict)


def _against_batch(index: int, first: int, first_digest: bytes, digest: bytes) -> Pending:
    if first_digest == digest:
        return Pending(index, "duplicate", same_as=first)
    conflict = errors.FactConflict(
        f"item {first} of this batch has the same source_id with other content",
        original_position=None,
    )
    return Pending(index, "refused", error=conflict, same_as=first)
