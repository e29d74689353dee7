"""What recording a fact gave: recorded, duplicate or refused, with positions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from domain.errors import DomainError, FactConflict

__all__ = ["Outcome", "Pending", "Status"]

Status = Literal["recorded", "duplicate", "refused"]


@dataclass(frozen=True)
class Outcome:
    """Result of one item: its log position (the original one for a duplicate)."""

    index: int
    status: Status
    position: int | None = None
    stream_id: UUID | None = None
    error: DomainError | None = None

    @property
    def reason(self) -> str | None:
        return None if self.error is None else self.error.message


@dataclass
class Pending:
    """An item's outcome while its batch is being decided (positions come last)."""

    index: int
    status: Status
    stream_id: UUID | None = None
    version: int | None = None
    position: int | None = None
    error: DomainError | None = None
    same_as: int | None = None  # index of an earlier item in the batch

    def resolve(self, positions: dict[tuple[UUID, int], int], done: list[Outcome]) -> Outcome:
        """Final outcome, once the batch's positions are known."""
        if self.same_as is not None:
            first = done[self.same_as]
            position, stream_id = first.position, first.stream_id
            if isinstance(self.error, FactConflict):
                self.error.original_position = position
            return Outcome(self.index, self.status, position, stream_id, self.error)
        if self.status == "recorded":
            assert self.stream_id is not None
            assert self.version is not None
            position = positions[(self.stream_id, self.version)]
            return Outcome(self.index, "recorded", position, self.stream_id)
        return Outcome(self.index, self.status, self.position, self.stream_id, self.error)
