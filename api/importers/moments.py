"""Reading a moment of a CSV row: a date-time column, a date column plus a clock-time
column, or a constant, plus an offset; each part blamed on its own column.

Without a stated format, values are read as ISO 8601, and a day/month-looking date
(``02/03/2026``) is refused as ambiguous: only the mapping can say which it is.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from api.importers.fields import BadRow, Row, Strict, quantity, required, shown

__all__ = ["Offset", "When", "later_than", "moment"]

# 02/03/2026, 2.3.26, 02-03-2026: day/month or month/day? Only the mapping can say.
_AMBIGUOUS = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b")
_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class Offset(Strict):
    """A length added to a moment: a column (a number, or [h:]mm:ss) or a constant."""

    column: str | None = None
    const: Decimal | None = None
    unit: Literal["seconds", "minutes", "hours", "days"] = "seconds"

    @model_validator(mode="after")
    def _one(self) -> Offset:
        if (self.column is None) == (self.const is None):
            raise ValueError("an offset needs a column or a const (one of them)")
        return self

    def length(self, row: Row) -> timedelta:
        amount = self.const if self.column is None else quantity(row, self.column, clock=True)
        assert amount is not None
        return timedelta(seconds=float(amount * _UNIT_SECONDS[self.unit]))


class When(Strict):
    """Where a moment comes from: one column holding date and time, or a date column
    plus a clock-time column (``date_column``), or a constant (``const``); plus an
    optional ``offset`` (a date column plus "days after", a start plus seconds)."""

    column: str | None = None
    const: str | None = Field(default=None, description="The same moment on every row.")
    format: str | None = Field(
        default=None, description="strptime format of `column`/`const`; default ISO 8601."
    )
    date_column: str | None = None
    date_format: str | None = Field(default=None, description="Default ISO 8601 (2026-03-02).")
    offset: Offset | None = None

    @model_validator(mode="after")
    def _one(self) -> When:
        if (self.column is None) == (self.const is None):
            raise ValueError("a moment needs a column or a const (one of them)")
        if self.date_column is not None and self.column is None:
            raise ValueError("date_column goes with a clock-time column")
        return self


def moment(row: Row, when: When, zone: tzinfo, earliest: datetime | None = None) -> datetime:
    """The moment ``when`` names in ``row``; naive times are in ``zone``.

    Each part is blamed on its own column: an impossible date on the date column, a
    bad clock time on the time column. ``earliest``: a moment before it is a bad row.
    """
    where = when.column or "the mapping's constant"
    written = when.const if when.const is not None else required(row, where)
    if when.date_column is not None:
        day = _date(required(row, when.date_column), when.date_column, when.date_format)
        parsed = datetime.combine(day, _clock(written, where, when.format))
    else:
        parsed = _datetime(written, where, when.format)
    if when.offset is not None:
        parsed = _shifted(parsed, when.offset, row)
    found = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    if earliest is not None and found < earliest:
        raise BadRow(
            f"{when.date_column or where}: {found.date()} is before the earliest accepted date "
            f"{earliest.date()} (the mapping's `earliest`)",
            f"{when.date_column or where}: before the earliest accepted date",
        )
    return found


def _shifted(start: datetime, offset: Offset, row: Row) -> datetime:
    where = offset.column or "offset.const"
    try:
        return start + offset.length(row)
    except OverflowError as error:  # a length no calendar holds
        raise BadRow(f"{where}: offset out of range", f"{where}: offset out of range") from error


def _unreadable(where: str, what: str, written: str, error: ValueError | None) -> BadRow:
    why = f" ({error})" if error else ""
    return BadRow(
        f"{where}: unreadable {what} {shown(written)}{why}", f"{where}: unreadable {what}"
    )


def _ambiguous(where: str, written: str) -> BadRow:
    return BadRow(
        f"{where}: {shown(written)} is ambiguous (day/month or month/day?): "
        'state the format in the mapping, e.g. format = "%d/%m/%Y"',
        f"{where}: ambiguous day/month date without a format",
    )


def _date(written: str, where: str, format: str | None) -> date:
    if format is None and _AMBIGUOUS.match(written):
        raise _ambiguous(where, written)
    try:
        if format is None:
            return date.fromisoformat(written)
        return datetime.strptime(written, format).date()
    except ValueError as error:
        raise _unreadable(where, "date", written, error) from error


def _datetime(written: str, where: str, format: str | None) -> datetime:
    if format is None and _AMBIGUOUS.match(written):
        raise _ambiguous(where, written)
    try:
        if format is None:
            return datetime.fromisoformat(written)
        return datetime.strptime(written, format)
    except ValueError as error:
        raise _unreadable(where, "time", written, error) from error


def _clock(written: str, where: str, format: str | None) -> time:
    try:
        return datetime.strptime(written, format or "%H:%M:%S").time()
    except ValueError as error:
        raise _unreadable(where, "clock time", written, error) from error


def later_than(start: datetime, end: datetime, when: When) -> datetime:
    """``end``, a day later if it is a clock time that crossed midnight after ``start``."""
    # 23:59:50 -> 00:00:10 crossed midnight; 09:14:19 -> 09:14:00 is out of order (a bad row).
    crossed = when.date_column is not None and start - end > timedelta(hours=12)
    return end + timedelta(days=1) if crossed else end
