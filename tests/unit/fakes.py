"""An in-memory ``domain.decide.Session`` for pure decision tests (no I/O).

This is not a stand-in for persistence: decisions only read streams and seal
personal fields, and these fakes give them exactly that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from domain import commands as c
from domain import errors
from domain.decide import decide
from domain.facts import Fact
from domain.ports import Keyring
from domain.rules import EARLIEST

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class ReversingKeyring:
    """'Seals' by reversing the text; a customer in ``erased`` has no key."""

    erased: set[str] = field(default_factory=set)

    def seal(self, customer_ref: str, plaintext: str) -> str:
        if customer_ref in self.erased:
            raise errors.CustomerErased("erased", field="customer_ref")
        return plaintext[::-1]

    def open(self, customer_ref: str, sealed: str) -> str | None:
        return None if customer_ref in self.erased else sealed[::-1]

    def fingerprint(self, customer_ref: str, plaintext: str) -> str:
        return hashlib.sha256(f"{customer_ref}\x1f{plaintext}".encode()).hexdigest()


@dataclass
class FakeSession:
    """Streams in a dict; ``record`` decides a command and appends its fact."""

    now: datetime = NOW
    author: str = "unit-test"
    keyring: Keyring = field(default_factory=ReversingKeyring)
    streams: dict[UUID, list[Fact]] = field(default_factory=dict)
    earliest: datetime = EARLIEST

    def stream(self, stream_id: UUID) -> list[Fact]:
        return self.streams.get(stream_id, [])

    def record(self, *cmds: c.Command) -> Fact:
        """Decide each command in turn; the last fact decided."""
        fact: Fact | None = None
        for cmd in cmds:
            fact = decide(cmd, self)
            self.streams.setdefault(fact.originator_id, []).append(fact)
        assert fact is not None
        return fact
