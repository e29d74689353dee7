"""The bands of the cem view, one definition each (METRICS.md "CEM view" and "CRM view").

Handle-time bands are half-open in seconds h of talk + hold + after-call work of the
surveyed call: ``<3`` is h < 180, ``3-6`` is 180 <= h < 360, ``6-10`` is 360 <= h < 600
and ``>10`` is h >= 600 (the label reads ">= 10 minutes": 600 s is in it).

Contact-pressure bands count the customer's mailshots in the trailing 30 days (both ends
included), with 3 and 4 apart: ``0``, ``1``, ``2``, ``3``, ``4``, ``5+``. The crm view's
conversion by contact pressure and its NPS-by-pressure chart use these same bands.
"""

from __future__ import annotations

__all__ = [
    "HANDLE_TIME_BANDS",
    "PRESSURE_BANDS",
    "handle_time_band",
    "handle_time_band_sql",
    "pressure_band",
    "pressure_band_sql",
]

HANDLE_TIME_BANDS = ("<3", "3-6", "6-10", ">10")
_HANDLE_EDGES = ((180, "<3"), (360, "3-6"), (600, "6-10"))  # (exclusive upper edge, band)
PRESSURE_BANDS = ("0", "1", "2", "3", "4", "5+")
_TOP = 5  # the open band "5+"


def handle_time_band(seconds: int) -> str:
    """The half-open handle-time band of ``seconds`` handled."""
    for upper, band in _HANDLE_EDGES:
        if seconds < upper:
            return band
    return HANDLE_TIME_BANDS[-1]


def handle_time_band_sql(seconds: str) -> str:
    """SQL for :func:`handle_time_band` of the SQL expression ``seconds`` (not input)."""
    whens = " ".join(f"WHEN {seconds} < {upper} THEN '{band}'" for upper, band in _HANDLE_EDGES)
    return f"CASE {whens} ELSE '{HANDLE_TIME_BANDS[-1]}' END"


def pressure_band(sends: int) -> str:
    """The contact-pressure band of ``sends`` mailshots in the trailing 30 days."""
    return str(sends) if sends < _TOP else PRESSURE_BANDS[-1]


def pressure_band_sql(sends: str) -> str:
    """SQL for :func:`pressure_band` of the SQL expression ``sends`` (not input)."""
    return f"CASE WHEN {sends} < {_TOP} THEN ({sends})::text ELSE '{PRESSURE_BANDS[-1]}' END"
