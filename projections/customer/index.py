"""The customer view's blind indexes: search terms of customers' current contact details.

The view decides *when* a customer's terms change (a registration or a change of
contact details: the terms of the current values, the latest non-null value of each
field by ``(occurred_at, position)``; an erasure: none at all) and keeps them in
``customer_search``. *What* the terms are is an ``Indexer``'s business, given to the
view by the process wiring: it opens the ciphertext with the customers' keys and
returns keyed HMACs of the normalised values, so this package never holds a key
and never sees a token's plaintext. Without an indexer the view keeps no terms
(e.g. a replay for ``as_of`` reads: no copy of the index is made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import Cursor

from projections.customer.updates import arrays

__all__ = [
    "SEARCH_TABLE",
    "CurrentDetails",
    "Indexer",
    "SearchTerm",
    "current_details",
    "forget",
    "reindex",
]

SEARCH_TABLE = "customer_search"


@dataclass(frozen=True)
class CurrentDetails:
    """A customer's current contact details, as stored (ciphertext; None: never given)."""

    customer_ref: str
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class SearchTerm:
    """One blind-index row: an opaque token that finds ``customer_ref`` by ``field``."""

    customer_ref: str
    field: str  # phone, email, name or caller
    token: bytes


class Indexer(Protocol):
    """Search terms of customers' current details (opening them is the indexer's job)."""

    def terms(self, details: Sequence[CurrentDetails]) -> list[SearchTerm]:
        """The terms of every customer given; none for one whose key is destroyed."""


_CURRENT = """
SELECT customer_ref,
    (array_agg(name ORDER BY occurred_at DESC, position DESC)
        FILTER (WHERE name IS NOT NULL))[1],
    (array_agg(email ORDER BY occurred_at DESC, position DESC)
        FILTER (WHERE email IS NOT NULL))[1],
    (array_agg(phone ORDER BY occurred_at DESC, position DESC)
        FILTER (WHERE phone IS NOT NULL))[1]
FROM customer_details
WHERE customer_ref = ANY(%b::text[])
GROUP BY customer_ref
"""


def reindex(cur: Cursor[Any], refs: Sequence[str], indexer: Indexer | None) -> None:
    """Replace the terms of ``refs`` by those of their current details (after the page's
    details were inserted), skipping erased customers."""
    if indexer is None or not refs:
        return
    cur.execute(
        "SELECT customer_ref FROM customer_profile "
        "WHERE customer_ref = ANY(%b::text[]) AND erased_at IS NULL",
        (sorted(set(refs)),),
    )
    live = [row[0] for row in cur.fetchall()]
    if not live:
        return
    details = current_details(cur, live)
    forget(cur, live)
    terms = {(t.token, t.customer_ref): t for t in indexer.terms(details)}.values()
    if terms:
        cur.execute(
            "INSERT INTO customer_search (token, customer_ref, field) "
            "SELECT * FROM unnest(%b::bytea[], %b::text[], %b::text[]) ON CONFLICT DO NOTHING",
            arrays(((t.token, t.customer_ref, t.field) for t in terms), 3),
        )


def current_details(cur: Cursor[Any], refs: Sequence[str]) -> list[CurrentDetails]:
    """The current (ciphertext) details of ``refs`` that have any."""
    cur.execute(_CURRENT, (list(refs),))
    return [CurrentDetails(*row) for row in cur.fetchall()]


def forget(cur: Cursor[Any], refs: Sequence[str]) -> None:
    """Delete every term of ``refs`` (erasure: no personal value finds them any more)."""
    if refs:
        cur.execute(
            "DELETE FROM customer_search WHERE customer_ref = ANY(%b::text[])", (list(refs),)
        )
