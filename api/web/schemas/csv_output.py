"""Metric rows as CSV: a header row, then one line per row, in a stable column order.

The columns are the requested breakdowns (in the order asked), then every metric
field of the row model (in its declared order), so two reports with the same
breakdowns always line up, whatever the data. Empty cells are NULLs (a ratio with
a zero denominator); booleans are ``true``/``false``; money keeps its decimals.
Text that a spreadsheet would run as a formula (starting with ``= + - @``) is
prefixed with ``'`` (OWASP "CSV injection"): breakdown values come from the facts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from fastapi.responses import Response
from pydantic import BaseModel

CSV_MEDIA_TYPE = "text/csv"
_JSON = "application/json"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(accept: str | None) -> bool:
    """Whether ``Accept`` prefers CSV to JSON (JSON unless CSV is asked for and ranks higher)."""
    if not accept:
        return False
    ranks = _ranks(accept)
    csv_rank = max(ranks.get(CSV_MEDIA_TYPE, 0.0), ranks.get("text/*", 0.0))
    json_rank = max(ranks.get(_JSON, 0.0), ranks.get("application/*", 0.0), ranks.get("*/*", 0.0))
    return csv_rank > 0 and csv_rank > json_rank


def _ranks(accept: str) -> dict[str, float]:
    """Media range -> quality, from an ``Accept`` header (malformed q counts as 1)."""
    ranks: dict[str, float] = {}
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        ranks[media.lower()] = max(quality, ranks.get(media.lower(), 0.0))
    return ranks


def columns(
    model: type[BaseModel], group_by: Sequence[str], breakdowns: Sequence[str]
) -> list[str]:
    """The CSV columns of ``model`` rows: the breakdowns asked, then the other fields."""
    fields = [name for name in model.model_fields if name not in breakdowns]
    return [*group_by, *fields]


def cell(value: object) -> str:
    """One value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value.value if isinstance(value, Enum) else value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def csv_text(rows: Sequence[BaseModel], header: Sequence[str]) -> str:
    """``rows`` as CSV text with ``header``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(getattr(row, name, None)) for name in header])
    return out.getvalue()


def csv_response(rows: Sequence[BaseModel], header: Sequence[str], filename: str) -> Response:
    """A ``text/csv`` response (RFC 4180 line ends, UTF-8, header row first)."""
    return Response(
        csv_text(rows, header),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8; header=present",
        headers={"Content-Disposition": f'inline; filename="{filename}.csv"', "Vary": "Accept"},
    )


def csv_openapi(example: str) -> dict[str, Any]:
    """The ``text/csv`` content entry of a 200 response, for OpenAPI."""
    return {CSV_MEDIA_TYPE: {"schema": {"type": "string"}, "example": example}}
