"""Shared pieces of the metric queries: validated breakdowns and filters, safe SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from psycopg.sql import SQL, Composable, Identifier, Literal

__all__ = ["MetricQuery", "UnknownBreakdown", "filter_clause", "group_columns"]


class UnknownBreakdown(ValueError):
    """A ``group_by`` or filter name the view does not have."""

    def __init__(self, name: str, allowed: Sequence[str]) -> None:
        super().__init__(f"unknown breakdown {name!r}; allowed: {', '.join(allowed)}")
        self.name = name
        self.allowed = tuple(allowed)


@dataclass(frozen=True)
class MetricQuery:
    """A metric query: a date range (inclusive), breakdowns, equality filters, ``at``."""

    date_from: date
    date_to: date
    group_by: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=dict)
    at: datetime | None = None

    def check(self, allowed: Sequence[str]) -> None:
        """Refuse any breakdown or filter name not in ``allowed`` (never interpolated)."""
        for name in (*self.group_by, *self.filters):
            if name not in allowed:
                raise UnknownBreakdown(name, allowed)


def group_columns(query: MetricQuery, columns: Mapping[str, str]) -> list[Composable]:
    """SQL identifiers for the query's breakdowns (names mapped through ``columns``)."""
    query.check(list(columns))
    return [Identifier(columns[name]) for name in query.group_by]


def filter_clause(query: MetricQuery, columns: Mapping[str, str]) -> Composable:
    """``AND col = 'value' ...`` for the query's filters, values as SQL literals."""
    query.check(list(columns))
    parts = [
        SQL(" AND {} = {}").format(Identifier(columns[name]), Literal(value))
        for name, value in sorted(query.filters.items())
    ]
    return SQL("").join(parts)
