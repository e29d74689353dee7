"""What the ledger needs from infrastructure, as protocols (implemented in ``api``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

__all__ = [
    "FactKey",
    "FactStore",
    "KeyVault",
    "Keyring",
    "KnownFact",
    "StoredRecord",
    "WriteCollision",
]


class WriteCollision(Exception):
    """A concurrent writer took a fact key or stream version first; retry.

    A recorder raises a subclass that is also its library's own conflict error
    (``api.storage.recorder.FactCollision`` is an ``eventsourcing`` ``IntegrityError``).
    """


@dataclass(frozen=True)
class KnownFact:
    """A fact key already in the log: its content fingerprint and position."""

    content_hash: bytes
    position: int
    stream_id: UUID


@dataclass(frozen=True)
class StoredRecord:
    """One stored event row, as the store hands it back."""

    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    position: int


@dataclass(frozen=True)
class FactKey:
    """Idempotency key written in the same transaction as its fact."""

    fact_id: UUID
    stream_id: UUID
    stream_version: int
    content_hash: bytes


@runtime_checkable
class FactStore(Protocol):
    """Idempotency index and bulk stream reads beside the library's recorder."""

    def lookup_facts(self, fact_ids: Sequence[UUID]) -> dict[UUID, KnownFact]:
        """Known facts among ``fact_ids``."""

    def load_streams(self, stream_ids: Sequence[UUID]) -> list[StoredRecord]:
        """Every stored event of the given streams, in stream order."""


class Keyring(Protocol):
    """Data keys of a set of customers, loaded once for one unit of work."""

    def seal(self, customer_ref: str, plaintext: str) -> str:
        """Ciphertext of ``plaintext``; raises ``CustomerErased`` if the key is gone."""

    def open(self, customer_ref: str, sealed: str) -> str | None:
        """Plaintext, or ``None`` when the customer's key was destroyed."""

    def fingerprint(self, customer_ref: str, plaintext: str) -> str:
        """Keyed digest used to compare personal content without storing it."""


class KeyVault(Protocol):
    """Per-customer data keys (crypto-shredding)."""

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> Keyring:
        """Load (and with ``create``, make missing) keys for these customers."""

    def destroy(self, customer_ref: str) -> None:
        """Destroy the customer's key for ever (idempotent)."""
