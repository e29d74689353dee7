"""Histogram buckets of wait and handle times, and percentiles read from them.

Percentiles are not additive, so the cost view stores, per day and breakdown, how many
calls fell in each bucket of seconds (``cost_histograms``); any range or breakdown sums
the buckets, then reads its percentiles. Buckets are 1 s wide below 600 s (times are
whole seconds, so below 10 minutes a percentile is exact), 5 s wide below 3600 s, 30 s
below 14400 s, 300 s below 86400 s and 3600 s beyond: above 600 s a percentile is the
top of its bucket, at most 0.7 % (below an hour), 0.8 % (below 4 h) or 2.1 % (below a
day) above the exact value. Exact values would need every call's times at query time;
buckets keep the view additive and its size bounded per day.

A percentile is the nearest rank (as ``percentile_disc``): the p-th percentile of n
calls is the smallest time t such that at least ceil(p x n / 100) calls took <= t, a
time some call actually took (the median of 10, 20, 30, 40 s is 20 s, not 25 s).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["PERCENTILES", "WIDTHS", "bucket_high", "bucket_low", "bucket_sql", "percentile"]

PERCENTILES = (50, 80, 90, 95)
"""Reported: the median, p80 (the 80 % of an 80/20 service level), p90 and p95."""
WIDTHS = ((600, 1), (3600, 5), (14400, 30), (86400, 300))
"""(exclusive upper edge, bucket width) in seconds, in order; beyond the last: 3600 s."""
_BEYOND = 3600


def _width(seconds: int) -> int:
    for upper, width in WIDTHS:
        if seconds < upper:
            return width
    return _BEYOND


def bucket_low(seconds: int) -> int:
    """The lowest value of the bucket of ``seconds`` (its key in ``cost_histograms``)."""
    return seconds - seconds % _width(seconds)


def bucket_high(low: int) -> int:
    """The highest whole number of seconds in the bucket starting at ``low``."""
    return low + _width(low) - 1


def bucket_sql(seconds: str) -> str:
    """SQL for :func:`bucket_low` of the SQL expression ``seconds`` (never input)."""
    whens = " ".join(
        f"WHEN {seconds} < {upper} THEN {seconds} - mod({seconds}, {width})"
        for upper, width in WIDTHS
    )  # mod(), not %: the statements it goes into take %-placeholders
    return f"(CASE {whens} ELSE {seconds} - mod({seconds}, {_BEYOND}) END)"


def percentile(buckets: Mapping[int, int] | Iterable[tuple[int, int]], p: int) -> int | None:
    """The nearest-rank ``p``-th percentile (1 <= p <= 100) of ``buckets`` (low -> calls):
    the top of the bucket holding the call of that rank; None without calls."""
    items = sorted(dict(buckets).items())
    total = sum(count for _, count in items)
    if total == 0:
        return None
    rank = max(1, -(-p * total // 100))  # ceil in integers: no float rounding
    seen = 0
    for low, count in items:
        seen += count
        if seen >= rank:
            return bucket_high(low)
    raise AssertionError("unreachable: the ranks add up to the total")
