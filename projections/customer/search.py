"""Finding customers in the customer view: by blind-index tokens and by reference.

The caller turns searched values into tokens (``api.storage.blind_index``): this
module only ever sees opaque tokens, never a searched value. Several keys combine
with AND. Matches are listed newest contact first (customers never contacted
last), then by reference; a page holds ``limit`` of them from ``offset``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.sql import SQL, Composable

from projections.customer.index import CurrentDetails, current_details

__all__ = ["Found", "SearchFilter", "find_customers", "linked_callers"]


@dataclass(frozen=True)
class SearchFilter:
    """What to match: any of ``phone``, the ``email`` token, all ``name`` tokens, ``ref``
    (case-insensitive); an empty part is not a condition."""

    phone: Sequence[bytes] = ()
    email: Sequence[bytes] = ()
    name: Sequence[bytes] = ()
    ref: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.phone or self.email or self.name or self.ref)


@dataclass(frozen=True)
class Found:
    """One matching customer, with its current details still sealed."""

    customer_ref: str
    segment: str | None
    registered: bool
    erased: bool
    last_contact: datetime | None
    details: CurrentDetails | None


_ANY = SQL(
    "p.customer_ref IN (SELECT customer_ref FROM customer_search WHERE token = ANY(%b::bytea[]))"
)
_ALL = SQL(
    "p.customer_ref IN (SELECT customer_ref FROM customer_search WHERE token = ANY(%b::bytea[]) "
    "GROUP BY customer_ref HAVING count(DISTINCT token) = %s)"
)
_REF = SQL("lower(p.customer_ref) = lower(%s)")
_FIND = SQL("""
SELECT p.customer_ref, p.segment, p.registered, p.erased_at IS NOT NULL, last.occurred_at
FROM customer_profile p
LEFT JOIN LATERAL (
    SELECT t.occurred_at FROM customer_timeline t WHERE t.customer_ref = p.customer_ref
    ORDER BY t.occurred_at DESC, t.position DESC LIMIT 1
) last ON true
WHERE {}
ORDER BY last.occurred_at DESC NULLS LAST, p.customer_ref
LIMIT %s OFFSET %s
""")


def _conditions(match: SearchFilter) -> tuple[list[Composable], list[Any]]:
    conditions: list[Composable] = []
    params: list[Any] = []
    for tokens in (match.phone, match.email):
        if tokens:
            conditions.append(_ANY)
            params.append(list(tokens))
    if match.name:
        conditions.append(_ALL)
        params += [list(match.name), len(set(match.name))]
    if match.ref:
        conditions.append(_REF)
        params.append(match.ref)
    return conditions, params


def find_customers(
    conn: Connection[Any], match: SearchFilter, *, limit: int, offset: int = 0
) -> tuple[list[Found], bool]:
    """The page of customers matching every part of ``match``, and whether more follow."""
    if match.empty:
        return [], False
    conditions, params = _conditions(match)
    statement = _FIND.format(SQL(" AND ").join(conditions))
    rows = conn.execute(statement, [*params, limit + 1, offset]).fetchall()
    more, rows = len(rows) > limit, rows[:limit]
    with conn.cursor() as cur:
        details = {d.customer_ref: d for d in current_details(cur, [row[0] for row in rows])}
    found = [Found(r[0], r[1], r[2], r[3], r[4], details.get(r[0])) for r in rows]
    return found, more


def linked_callers(conn: Connection[Any], ref: str, prefix: str) -> list[str]:
    """References of unidentified callers whose number is ``ref``'s current number
    (``prefix`` followed by the caller token in upper-case hex)."""
    rows = conn.execute(
        "SELECT %s || upper(encode(token, 'hex')) FROM customer_search "
        "WHERE customer_ref = %s AND field = 'caller' ORDER BY 1",
        (prefix, ref),
    ).fetchall()
    return [row[0] for row in rows]
