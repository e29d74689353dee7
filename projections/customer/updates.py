"""The customer timeline's updates: call corrections and mailshot follow-ups, per page.

Each is reduced per interaction in Python first (in log order), then applied with
one ``UPDATE ... FROM unnest(...)`` per page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from psycopg import Cursor
from psycopg.sql import SQL, Identifier

from domain import facts as f
from domain.reading import LoggedFact

__all__ = ["CORRECTABLE", "Row", "arrays", "correct_calls", "follow_ups", "unnest"]

Row = dict[str, Any]
CORRECTABLE: tuple[tuple[str, str], ...] = (
    ("queue", "text"),
    ("agent_id", "text"),
    ("reason", "text"),
    ("talk_seconds", "integer"),
    ("hold_seconds", "integer"),
    ("after_call_work_seconds", "integer"),
    ("resolved", "boolean"),
    ("transferred", "boolean"),
)


def arrays(rows: Iterable[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as columns (lists, which psycopg sends as arrays for ``unnest``)."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def unnest(types: Sequence[str]) -> SQL:
    """``unnest(%b::type[], ...)``: binary array parameters (no text quoting to do)."""
    return SQL("unnest(" + ", ".join(f"%b::{t}[]" for t in types) + ")")


def correct_calls(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    """Merge a page's corrections per call in log order, then one UPDATE."""
    merged: dict[Any, Row] = {}
    for item in items:
        amended = {n: v for n, _ in CORRECTABLE if (v := getattr(item.fact, n)) is not None}
        current = merged.setdefault(item.stream_id, {"stream_id": item.stream_id, "n": 0})
        current |= amended
        current["n"] += 1
    if not merged:
        return
    sets = [SQL("{0} = coalesce(u.{0}, t.{0})").format(Identifier(n)) for n, _ in CORRECTABLE]
    statement = SQL(
        "UPDATE customer_timeline t SET {}, corrections = t.corrections + u.n "
        "FROM {} AS u(stream_id, n, {}) WHERE t.stream_id = u.stream_id"
    ).format(
        SQL(", ").join(sets),
        unnest(["uuid", "integer", *(kind for _, kind in CORRECTABLE)]),
        SQL(", ").join(Identifier(n) for n, _ in CORRECTABLE),
    )
    names = ("stream_id", "n", *(n for n, _ in CORRECTABLE))
    cur.execute(statement, arrays(([r.get(n) for n in names] for r in merged.values()), len(names)))


_FOLLOW_UP_SQL = """
UPDATE customer_timeline t SET
    delivered_at = least(t.delivered_at, u.delivered_at),
    bounced_at = least(t.bounced_at, u.bounced_at),
    first_response_how = CASE
        WHEN u.first_response_at IS NOT NULL
             AND (t.first_response_at IS NULL OR u.first_response_at < t.first_response_at)
        THEN u.first_response_how ELSE t.first_response_how END,
    first_response_at = least(t.first_response_at, u.first_response_at),
    responses = t.responses + u.responses,
    conversions = t.conversions + u.conversions,
    conversion_value = t.conversion_value + u.conversion_value
FROM unnest(%b::uuid[], %b::timestamptz[], %b::timestamptz[], %b::timestamptz[], %b::text[],
            %b::integer[], %b::integer[], %b::numeric[])
    AS u(stream_id, delivered_at, bounced_at, first_response_at, first_response_how,
         responses, conversions, conversion_value)
WHERE t.stream_id = u.stream_id
"""
_FOLLOW_UP_NAMES = (
    "stream_id",
    "delivered_at",
    "bounced_at",
    "first_response_at",
    "first_response_how",
    "responses",
    "conversions",
    "conversion_value",
)


def follow_ups(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    """Delivery, bounce, response, conversion per mailshot, summed over the page.

    A held-back recipient has no timeline row (nothing was sent), so its
    follow-ups match no row and change nothing.
    """
    sums: dict[Any, Row] = {}
    for item in items:
        row = sums.setdefault(item.stream_id, _empty_follow_up(item))
        _add_follow_up(row, item.fact)
    if sums:
        rows = ([r[n] for n in _FOLLOW_UP_NAMES] for r in sums.values())
        cur.execute(_FOLLOW_UP_SQL, arrays(rows, len(_FOLLOW_UP_NAMES)))


def _empty_follow_up(item: LoggedFact) -> Row:
    row: Row = dict.fromkeys(_FOLLOW_UP_NAMES)
    return row | {
        "stream_id": item.stream_id,
        "responses": 0,
        "conversions": 0,
        "conversion_value": Decimal(0),
    }


def _earliest(current: Any, new: Any) -> Any:
    return new if current is None or new < current else current


def _add_follow_up(row: Row, fact: f.Fact) -> None:
    at = fact.occurred_at
    if isinstance(fact, f.MailshotDelivered):
        row["delivered_at"] = _earliest(row["delivered_at"], at)
    elif isinstance(fact, f.MailshotBounced):
        row["bounced_at"] = _earliest(row["bounced_at"], at)
    elif isinstance(fact, f.MailshotResponded):
        if row["first_response_at"] is None or at < row["first_response_at"]:
            row["first_response_at"], row["first_response_how"] = at, fact.how
        row["responses"] += 1
    elif isinstance(fact, f.MailshotConverted):
        row["conversions"] += 1
        row["conversion_value"] += fact.value
