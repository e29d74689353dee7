"""What a bulk load did: the one report of NDJSON imports, CSV imports and the demo."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain import errors
from domain.outcomes import Outcome

__all__ = ["ImportReport", "Refusal", "describe"]


@dataclass(frozen=True)
class Refusal:
    """An input item (line, row or generated fact, numbered from 1) not recorded, and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """Facts recorded or already there, rows skipped by a mapping, items refused."""

    rows: int = 0
    recorded: int = 0
    duplicates: int = 0
    skipped: int = 0
    refused: list[Refusal] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every item was used (or skipped by the mapping), 1 when some were refused."""
        return 1 if self.refused else 0

    @property
    def facts(self) -> int:
        """Facts handed to the ledger so far, whatever became of them."""
        return self.recorded + self.duplicates + len(self.refused)

    def refuse(self, line: int, reason: str) -> None:
        """Note that item ``line`` was refused for ``reason``."""
        self.refused.append(Refusal(line, reason))

    def count(self, line: int, outcome: Outcome) -> None:
        """Tally item ``line``'s outcome from the ledger."""
        if outcome.status == "recorded":
            self.recorded += 1
        elif outcome.status == "duplicate":
            self.duplicates += 1
        else:
            assert outcome.error is not None
            self.refuse(line, describe(outcome.error))


def describe(error: errors.DomainError) -> str:
    """A refusal as one line: ``code (field): message``."""
    where = f" ({error.field})" if error.field else ""
    message = error.message
    if isinstance(error, errors.FactConflict) and error.original_position is not None:
        # The ledger may speak of batch items; the reader of a report knows positions.
        position = error.original_position
        message = f"this source_id was recorded at position {position} with other content"
    return f"{error.code}{where}: {message}"
