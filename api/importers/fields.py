"""Reading one value of a CSV row: times, durations, numbers, coded values.

Each reader raises ``BadRow`` with a reason a person can act on (the column, the
value, what was expected); the importer reports it with the line number and goes on.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field

Row = dict[str, str]
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")  # [h:]mm:ss
MAX_SHOWN = 40  # characters of a bad value quoted in a reason


class BadRow(Exception):
    """A row that cannot become a fact; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Strict(BaseModel):
    """Mapping parts refuse unknown keys: a typo in a mapping file must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class When(Strict):
    """Where a moment comes from: one column holding date and time, or a date column
    plus a clock-time column (``date_column``), as many telephony exports split them."""

    column: str
    format: str | None = Field(
        default=None, description="strptime format of `column`; default ISO 8601."
    )
    date_column: str | None = None
    date_format: str = "%Y-%m-%d"


class Coded(Strict):
    """A column whose values mean something: ``values`` maps a meaning to the codes used."""

    column: str
    values: dict[str, list[str]]
    ignore_case: bool = True

    def meaning(self, row: Row) -> str:
        """The meaning of the row's code, or ``BadRow`` for a code the mapping does not know."""
        raw = value(row, self.column)
        wanted = raw.casefold() if self.ignore_case else raw
        for meaning, codes in self.values.items():
            if wanted in ((c.casefold() if self.ignore_case else c) for c in codes):
                return meaning
        known = ", ".join(repr(code) for codes in self.values.values() for code in codes)
        raise BadRow(f"{self.column}: unknown value {_shown(raw)} (known: {known})")


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "…")


def value(row: Row, column: str) -> str:
    """The trimmed text of ``column`` ('' when empty)."""
    return (row.get(column) or "").strip()


def required(row: Row, column: str) -> str:
    text = value(row, column)
    if not text:
        raise BadRow(f"{column}: empty")
    return text


def moment(row: Row, when: When, zone: tzinfo) -> datetime:
    """The moment ``when`` names in ``row``; naive times are in ``zone``."""
    text = required(row, when.column)
    try:
        if when.date_column is not None:
            day = datetime.strptime(required(row, when.date_column), when.date_format).date()
            parsed = datetime.combine(day, _clock(text, when.format))
        elif when.format is not None:
            parsed = datetime.strptime(text, when.format)
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise BadRow(f"{when.column}: unreadable time {_shown(text)} ({error})") from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _clock(text: str, format: str | None) -> time:
    return datetime.strptime(text, format or "%H:%M:%S").time()


def later_than(start: datetime, end: datetime, when: When) -> datetime:
    """``end``, a day later if it is a clock time that crossed midnight after ``start``."""
    # 23:59:50 -> 00:00:10 crossed midnight; 09:14:19 -> 09:14:00 is out of order (a bad row).
    crossed = when.date_column is not None and start - end > timedelta(hours=12)
    return end + timedelta(days=1) if crossed else end


def seconds(row: Row, column: str) -> int:
    """A duration: whole seconds (``95``, ``95.0``) or a clock length (``1:35``, ``0:01:35``)."""
    text = required(row, column)
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, secs = (int(part or 0) for part in clock.groups())
        return hours * 3600 + minutes * 60 + secs
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation as error:
        raise BadRow(f"{column}: unreadable duration {_shown(text)}") from error
    if not number.is_finite() or number != number.to_integral_value():
        raise BadRow(f"{column}: a duration must be whole seconds, got {_shown(text)}")
    return int(number)


def between(start: datetime, end: datetime, what: str) -> int:
    """Whole seconds from ``start`` to ``end``; a negative span is a bad row."""
    span = int((end - start).total_seconds())
    if span < 0:
        raise BadRow(f"{what}: negative ({span} s): the times are out of order")
    return span


def score(row: Row, column: str | None) -> int | None:
    """An integer score, or None when the column is absent from the mapping or empty."""
    if column is None or not value(row, column):
        return None
    text = value(row, column)
    try:
        return int(text)
    except ValueError as error:
        raise BadRow(f"{column}: not a whole number: {_shown(text)}") from error


def money(row: Row, column: str | None) -> Decimal | None:
    """An amount (``12.50``, ``12,50``), or None when absent or empty."""
    if column is None or not value(row, column):
        return None
    text = value(row, column).replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise BadRow(f"{column}: not an amount: {_shown(text)}") from error
    if not amount.is_finite():
        raise BadRow(f"{column}: not an amount: {_shown(text)}")
    return amount


def source_id(row: Row, columns: list[str], separator: str) -> str:
    """The source id from one or several columns (ids repeat across days in many systems)."""
    return separator.join(required(row, column) for column in columns)
