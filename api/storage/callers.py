"""Who is calling: a caller's number matched to customers through the blind index.

Identity resolution (issue 13) is a rule applied when a call is recorded, never a
rewrite: a call given only the caller's number is recorded for the one customer whose
current number it is exactly (E.164) in the customer view at that moment; otherwise
(nobody, or several customers share it) for an *unidentified caller* whose reference
``U-<hex>`` is derived from a keyed token of the number (``BlindIndex.caller_ref``),
so the number itself is never in the log. A customer registered later with that
number does not change those facts: the customer view knows, from the customer's
own ``caller`` token, which unidentified reference is theirs
(``projections.customer.search.linked_callers``).
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from api.storage.blind_index import CALLER_PREFIX, BlindIndex
from projections.customer.search import Found, SearchFilter, find_customers, linked_callers
from projections.tracking import snapshot

__all__ = ["MAX_CHOICES", "best_callers", "caller_links", "resolve_caller"]

MAX_CHOICES = 20  # customers listed when several share a number


def best_callers(conn: Connection[Any], index: BlindIndex, phone: str) -> list[Found]:
    """The customers of ``phone``'s best tier: its exact number, else the same last 9+
    digits (at most ``MAX_CHOICES``)."""
    tokens = index.phone_tokens(phone) or ()
    tiers = (tokens[:1], tokens[1:]) if index.phone_number(phone) else (tokens,)
    for tier in tiers:
        if tier:
            found, _ = find_customers(conn, SearchFilter(phone=tier), limit=MAX_CHOICES)
            if found:
                return found
    return []


def resolve_caller(pool: ConnectionPool, index: BlindIndex, number: str) -> str | None:
    """The reference a call from ``number`` is recorded for (None: not a phone number).

    Only an exact match counts (a shared ending is a guess, fine for a screen pop,
    not for a fact that is never rewritten).
    """
    e164 = index.phone_number(number)
    if e164 is None:
        return None
    with snapshot(pool) as conn:
        found, _ = find_customers(conn, SearchFilter(phone=(index.token("phone", e164),)), limit=2)
    return found[0].customer_ref if len(found) == 1 else index.caller_ref(e164)


def caller_links(conn: Connection[Any], ref: str) -> list[str]:
    """The unidentified callers' references that are ``ref``'s current number."""
    return linked_callers(conn, ref, CALLER_PREFIX)
