"""What a bulk load did: the one report of NDJSON imports, CSV imports and the demo."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from domain import errors
from domain.outcomes import Outcome

__all__ = ["FIRST_LINES", "ImportReport", "Refusal", "RefusalGroup", "describe", "group_of"]

FIRST_LINES = 5  # line numbers listed per group of alike refusals


@dataclass(frozen=True)
class Refusal:
    """An input item (line, row or generated fact, numbered from 1) not recorded, and why.

    ``group``: the reason without the item's own values (alike refusals are counted
    together in a summary); empty: the reason itself.
    """

    line: int
    reason: str
    group: str = field(default="", compare=False)

    @property
    def kind(self) -> str:
        """What alike refusals share: the group, else the reason."""
        return self.group or self.reason


@dataclass(frozen=True)
class RefusalGroup:
    """Alike refusals: how many items, the first few lines, and one reason in full."""

    kind: str
    items: int
    first_lines: tuple[int, ...]
    example: str


@dataclass
class ImportReport:
    """Facts recorded or already there, rows skipped by a mapping, items refused."""

    rows: int = 0
    recorded: int = 0
    duplicates: int = 0
    skipped: int = 0
    refused: list[Refusal] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time of the run

    @property
    def facts_per_second(self) -> float:
        """Facts handed to the ledger per second of the run (0 for an instant run)."""
        return self.facts / self.seconds if self.seconds > 0 else 0.0

    def grouped(self, first: int = FIRST_LINES) -> list[RefusalGroup]:
        """Refusals grouped by kind, the most frequent first, each item counted once."""
        lines: dict[str, set[int]] = defaultdict(set)
        examples: dict[str, str] = {}
        for refusal in self.refused:
            lines[refusal.kind].add(refusal.line)
            examples.setdefault(refusal.kind, refusal.reason)
        groups = [
            RefusalGroup(kind, len(found), tuple(sorted(found)[:first]), examples[kind])
            for kind, found in lines.items()
        ]
        return sorted(groups, key=lambda g: (-g.items, g.first_lines))

    @property
    def exit_code(self) -> int:
        """0 when every item was used (or skipped by the mapping), 1 when some were refused."""
        return 1 if self.refused else 0

    @property
    def facts(self) -> int:
        """Facts handed to the ledger so far, whatever became of them."""
        return self.recorded + self.duplicates + len(self.refused)

    def refuse(self, line: int, reason: str, group: str = "") -> None:
        """Note that item ``line`` was refused for ``reason`` (``group``: see ``Refusal``)."""
        self.refused.append(Refusal(line, reason, group))

    def count(self, line: int, outcome: Outcome) -> None:
        """Tally item ``line``'s outcome from the ledger."""
        if outcome.status == "recorded":
            self.recorded += 1
        elif outcome.status == "duplicate":
            self.duplicates += 1
        else:
            assert outcome.error is not None
            self.refuse(line, describe(outcome.error), group_of(outcome.error))


def group_of(error: errors.DomainError) -> str:
    """A domain refusal's kind: ``code (field)``, without the values of the item."""
    return f"{error.code} ({error.field})" if error.field else error.code


def describe(error: errors.DomainError) -> str:
    """A refusal as one line: ``code (field): message``."""
    where = f" ({error.field})" if error.field else ""
    message = error.message
    if isinstance(error, errors.FactConflict) and error.original_position is not None:
        # The ledger may speak of batch items; the reader of a report knows positions.
        position = error.original_position
        message = f"this source_id was recorded at position {position} with other content"
    return f"{error.code}{where}: {message}"
