"""Calls given with the caller's number instead of a customer (``caller_number``, issue 13).

Shared by NDJSON imports and ``POST /interactions/batch`` (CSV call mappings have
their own ``caller_number`` column): a ``call_recorded`` item may carry
``caller_number`` beside or instead of ``customer_ref``. The number is resolved
before the item is validated (``api.storage.callers.resolve_caller``): the one
customer whose number it is exactly, else the unidentified caller ``U-...`` derived
from a keyed token of it. The number is then dropped: no fact, no reason, no log
line ever holds it. A ``customer_ref`` given too wins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from psycopg_pool import ConnectionPool

from api.storage.blind_index import BlindIndex
from api.storage.callers import resolve_caller

__all__ = ["CALL_KIND", "CallerRefused", "Resolver", "caller_resolver", "with_caller"]

CALL_KIND = "call_recorded"
MAX_NUMBER_LENGTH = 40  # as POST /interactions/calls: no number is longer
REMEMBERED = 10_000  # numbers resolved once per import (a caller often calls again)

Resolver = Callable[[str], str | None]
"""A caller's number -> the customer reference its call is recorded for (None: no number)."""


class CallerRefused(Exception):
    """An item whose ``caller_number`` cannot be used; ``code`` is stable, ``reason`` says why
    (never quoting the number)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def caller_resolver(pool: ConnectionPool, index: BlindIndex | None) -> Resolver | None:
    """Numbers to references through the customer view; None without an index key."""
    if index is None:
        return None

    @lru_cache(maxsize=REMEMBERED)
    def resolve(number: str) -> str | None:
        return resolve_caller(pool, index, number)

    return resolve


def with_caller(item: Any, resolve: Resolver | None) -> Any:
    """``item`` with its ``caller_number`` replaced by the reference it resolves to.

    Anything but a call with a ``caller_number`` is returned as it is (a number on
    another kind of fact is then refused as an unknown field).
    """
    if not isinstance(item, dict) or item.get("kind") != CALL_KIND or "caller_number" not in item:
        return item
    call = dict(item)
    number = call.pop("caller_number")
    if call.get("customer_ref") is not None or number is None:
        return call  # the reference wins; neither given: "customer_ref: Field required"
    if not isinstance(number, str) or not 0 < len(number.strip()) <= MAX_NUMBER_LENGTH:
        raise CallerRefused("invalid-fact", "caller_number: not a phone number")
    if resolve is None:
        detail = "calls cannot be matched by number: no index key (TOUCHPOINT_INDEX_KEY)"
        raise CallerRefused("search-unavailable", detail)
    ref = resolve(number)
    if ref is None:
        raise CallerRefused("invalid-fact", "caller_number: not a phone number")
    call["customer_ref"] = ref
    return call
