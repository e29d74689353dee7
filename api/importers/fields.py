"""Reading one value of a CSV row: durations, numbers, coded and computed values.

Each reader raises ``BadRow`` with a reason a person can act on (the column, the
value, what was expected); the importer reports it with the line number and goes on.
A value comes from a column, from a constant of the mapping (``const``), or from
rules over several columns (``Coded.rules``): no pre-processing script needed.
Moments (dates and times) are read by ``api.importers.moments``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "MAX_SHOWN", "BadRow", "Coded", "Condition", "Row", "Rule", "Strict", "Value", "between",
    "money", "named", "quantity", "required", "required_text", "score", "seconds", "shown",
    "source_id", "text", "value",
]  # fmt: skip

Row = dict[str, str]
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")  # [h:]mm:ss
MAX_SHOWN = 40  # characters of a bad value quoted in a reason


class BadRow(Exception):
    """A row that cannot become a fact; ``reason`` says why.

    ``group``: the reason without the row's own values, to count alike refusals
    together in the summary (default: the reason itself).
    """

    def __init__(self, reason: str, group: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.group = group or reason


class Strict(BaseModel):
    """Mapping parts refuse unknown keys: a typo in a mapping file must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(Strict):
    """One condition on a column; every condition given must hold."""

    column: str
    is_: list[str] | None = Field(default=None, alias="is", description="One of these codes.")
    is_not: list[str] | None = Field(default=None, description="None of these codes.")
    empty: bool | None = Field(default=None, description="The cell is (not) empty.")
    above: Decimal | None = Field(default=None, description="A number or duration > this.")
    at_most: Decimal | None = Field(default=None, description="A number or duration <= this.")

    def holds(self, row: Row) -> bool:
        """Whether ``row`` meets every condition of this test."""
        raw = value(row, self.column)
        folded = raw.casefold()
        if self.is_ is not None and folded not in {code.casefold() for code in self.is_}:
            return False
        if self.is_not is not None and folded in {code.casefold() for code in self.is_not}:
            return False
        if self.empty is not None and (raw == "") != self.empty:
            return False
        if self.above is None and self.at_most is None:
            return True
        number = quantity(row, self.column)
        return (self.above is None or number > self.above) and (
            self.at_most is None or number <= self.at_most
        )


class Rule(Strict):
    """``meaning`` for the rows where every test of ``when`` holds."""

    meaning: str
    when: list[Condition] = Field(min_length=1)


class Coded(Strict):
    """A value of a row: a column's text, a code of it mapped to a meaning (``values``),
    a constant (``const``), or the first of ``rules`` that holds, else ``otherwise``."""

    column: str | None = None
    values: dict[str, list[str]] = Field(default_factory=dict)
    ignore_case: bool = True
    const: str | None = Field(default=None, description="The same value on every row.")
    rules: list[Rule] = Field(default_factory=list, description="Checked in order, first.")
    otherwise: str | None = Field(default=None, description="When nothing else matched.")

    @model_validator(mode="after")
    def _one_way(self) -> Coded:
        if self.const is not None and (self.column or self.values or self.rules):
            raise ValueError("give const alone, or column/values/rules")
        if self.const is None and self.column is None and not self.rules:
            raise ValueError("give a column, const or rules")
        if self.values and self.column is None:
            raise ValueError("values need the column they code")
        return self

    def meaning(self, row: Row) -> str:
        """The row's value, or ``BadRow`` for a code the mapping does not know."""
        if self.const is not None:
            return self.const
        for rule in self.rules:
            if all(test.holds(row) for test in rule.when):
                return rule.meaning
        if self.column is None:
            return self._otherwise(row, "")
        raw = value(row, self.column)
        if not self.values:
            return raw if raw or self.otherwise is None else self.otherwise
        wanted = raw.casefold() if self.ignore_case else raw
        for meaning, codes in self.values.items():
            if wanted in ((c.casefold() if self.ignore_case else c) for c in codes):
                return meaning
        return self._otherwise(row, raw)

    def _otherwise(self, row: Row, raw: str) -> str:
        if self.otherwise is not None:
            return self.otherwise
        if self.column is None:
            raise BadRow("no rule of the mapping holds for this row")
        known = ", ".join(repr(code) for codes in self.values.values() for code in codes)
        raise BadRow(
            f"{self.column}: unknown value {shown(raw)} (known: {known})",
            f"{self.column}: unknown value",
        )


Value = str | Coded
"""A column name (its trimmed text) or a ``Coded`` value (constant, coded, computed)."""


def text(row: Row, source: Value) -> str:
    """The trimmed text ``source`` gives for ``row`` ('' when empty)."""
    return value(row, source) if isinstance(source, str) else source.meaning(row)


def named(source: Value) -> str:
    """How a reason names ``source``: its column, else what it is."""
    if isinstance(source, str):
        return source
    return source.column or ("the mapping's constant" if source.const is not None else "rules")


def required_text(row: Row, source: Value) -> str:
    """``text`` of ``source``; ``BadRow`` if it is empty."""
    found = text(row, source)
    if not found:
        raise BadRow(f"{named(source)}: empty")
    return found


def shown(raw: str) -> str:
    """A bad value as quoted in a reason (cut after ``MAX_SHOWN`` characters)."""
    return repr(raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "…")


def value(row: Row, column: str) -> str:
    """The trimmed text of ``column`` ('' when empty)."""
    return (row.get(column) or "").strip()


def required(row: Row, column: str) -> str:
    text = value(row, column)
    if not text:
        raise BadRow(f"{column}: empty")
    return text


def quantity(row: Row, column: str, *, clock: bool = True) -> Decimal:
    """A number (``12``, ``1.5``, ``1,5``) or, with ``clock``, a length ``[h:]mm:ss`` in seconds."""
    written = required(row, column)
    found = _CLOCK.match(written) if clock else None
    if found:
        hours, minutes, secs = (int(part or 0) for part in found.groups())
        return Decimal(hours * 3600 + minutes * 60 + secs)
    try:
        number = Decimal(written.replace(",", "."))
    except InvalidOperation as error:
        raise BadRow(
            f"{column}: not a number: {shown(written)}", f"{column}: not a number"
        ) from error
    if not number.is_finite():
        raise BadRow(f"{column}: not a number: {shown(written)}", f"{column}: not a number")
    return number


def seconds(row: Row, column: str) -> int:
    """A duration: whole seconds (``95``, ``95.0``) or a clock length (``1:35``, ``0:01:35``)."""
    try:
        number = quantity(row, column)
    except BadRow as bad:
        if bad.reason.endswith(": empty"):
            raise
        written = value(row, column)
        raise BadRow(
            f"{column}: unreadable duration {shown(written)}", f"{column}: unreadable duration"
        ) from bad
    if number != number.to_integral_value():
        raise BadRow(f"{column}: a duration must be whole seconds, got {shown(str(number))}")
    return int(number)


def between(start: datetime, end: datetime, what: str) -> int:
    """Whole seconds from ``start`` to ``end``; a negative span is a bad row."""
    span = int((end - start).total_seconds())
    if span < 0:
        raise BadRow(
            f"{what}: negative ({span} s): the times are out of order",
            f"{what}: negative: the times are out of order",
        )
    return span


def score(row: Row, column: str | None) -> int | None:
    """An integer score, or None when the column is absent from the mapping or empty."""
    if column is None or not value(row, column):
        return None
    written = value(row, column)
    try:
        return int(written)
    except ValueError as error:
        raise BadRow(
            f"{column}: not a whole number: {shown(written)}", f"{column}: not a whole number"
        ) from error


def money(row: Row, source: Value | None) -> Decimal | None:
    """An amount (``12.50``, ``12,50``), or None when absent or empty."""
    if source is None or not text(row, source):
        return None
    written = text(row, source).replace(",", ".")
    where = named(source)
    try:
        amount = Decimal(written)
    except InvalidOperation as error:
        raise BadRow(
            f"{where}: not an amount: {shown(written)}", f"{where}: not an amount"
        ) from error
    if not amount.is_finite():
        raise BadRow(f"{where}: not an amount: {shown(written)}", f"{where}: not an amount")
    return amount


def source_id(row: Row, columns: list[str], separator: str) -> str:
    """The source id from one or several columns (ids repeat across days in many systems)."""
    return separator.join(required(row, column) for column in columns)
