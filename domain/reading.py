"""Facts as read back from the log: with their position, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.facts import Fact
from domain.ports import Keyring

__all__ = ["ERASED", "WITHHELD", "LoggedFact"]

ERASED: dict[str, bool] = {"erased": True}
"""Stands in for a personal field whose customer was erased (crypto-shredded)."""
WITHHELD: dict[str, bool] = {"withheld": True}
"""Stands in for a personal field the reader may not see."""
_ENVELOPE = ("originator_id", "originator_version", "timestamp")


@dataclass(frozen=True)
class LoggedFact:
    """A fact with its log position."""

    position: int
    fact: Fact

    @property
    def stream_id(self) -> UUID:
        return self.fact.originator_id

    @property
    def version(self) -> int:
        return self.fact.originator_version

    @property
    def kind(self) -> str:
        return self.fact.kind

    @property
    def recorded_at(self) -> datetime:
        return self.fact.timestamp

    @property
    def customer_ref(self) -> str | None:
        return getattr(self.fact, "customer_ref", None)

    def as_dict(self, keyring: Keyring | None) -> dict[str, Any]:
        """Plain data; personal fields opened with ``keyring``, else withheld."""
        data = {f.name: getattr(self.fact, f.name) for f in fields(self.fact)}
        for name in _ENVELOPE:
            data.pop(name)
        for name in self.fact.PERSONAL:
            data[name] = self._personal(data[name], keyring)
        return {
            "position": self.position,
            "stream_id": self.stream_id,
            "version": self.version,
            "kind": self.kind,
            "recorded_at": self.recorded_at,
            "data": data,
        }

    def _personal(self, sealed: str | None, keyring: Keyring | None) -> Any:
        if sealed is None:
            return None
        if keyring is None:
            return WITHHELD
        assert self.customer_ref is not None
        plaintext = keyring.open(self.customer_ref, sealed)
        return ERASED if plaintext is None else plaintext
