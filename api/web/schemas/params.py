"""Path and query parameter types that several routes share, each defined once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from projections.registry import VIEW_NAMES

__all__ = [
    "MAX_POSITION",
    "CustomerRef",
    "Digits",
    "EntryPosition",
    "LogPosition",
    "MinPosition",
    "ReferenceTime",
    "ViewName",
]

MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints
_DIGITS = re.compile(r"[0-9]{1,32}")


def _decimal_digits(value: object) -> object:
    # pydantic's lax int takes "0.0", "+1", " 1" and "1_000" from a string: a whole
    # number in a query or header is decimal digits and nothing else.
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        msg = "a whole number in decimal digits is needed (no sign, point, space or _)"
        raise PydanticCustomError("int_parsing", msg)
    return value


Digits = BeforeValidator(_decimal_digits)
"""Metadata for an ``int`` read from a string: digits only. Put it after the bounds
(``Annotated[int, Field(ge=.., le=..), Digits]``) so the schema keeps them."""

LogPosition = Annotated[int, Field(ge=0, le=MAX_POSITION), Digits]
"""A log position, or 0 for "before the first"."""

EntryPosition = Annotated[int, Field(ge=1, le=MAX_POSITION), Digits]
"""The position of an entry of the log (from 1)."""

_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    # Far outside this range, time-zone arithmetic overflows Python's datetime.
    if not _EARLIEST <= value <= _LATEST:
        raise PydanticCustomError("time_out_of_range", "a time between 1900 and 9000 is needed")
    return value


ReferenceTime = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A time with its time zone, in a plausible range (``at`` parameters)."""

CustomerRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="The customer's reference (`customer_ref` of the facts).",
        examples=["C-10042"],
    ),
]
"""A customer's reference in a path (no control characters)."""

ViewName = Annotated[
    str, Path(description=f"One of: {', '.join(VIEW_NAMES)}.", examples=["customer"])
]
"""A view's name in a path."""

MinPosition = Annotated[
    LogPosition | None,
    Query(
        description=(
            "Read-your-writes: the log position a write returned. The API waits (at most "
            "`read_wait_seconds`, default 2 s) until the view has applied it, else answers "
            "503 with the view's current position and `Retry-After`."
        ),
    ),
]
"""Read-your-writes: the position a read waits for."""
