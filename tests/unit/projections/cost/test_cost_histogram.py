"""Histogram buckets and nearest-rank percentiles of wait and handle times (issue 14:
"the distribution of handle and wait times (median and percentiles)"; the rules are in
projections/cost/histogram.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projections.cost.histogram import bucket_high, bucket_low, percentile


@pytest.mark.parametrize(
    ("seconds", "low", "high"),
    [
        (0, 0, 0),
        (599, 599, 599),  # 1-second buckets below 600 s
        (600, 600, 604),  # then 5 s wide
        (3599, 3595, 3599),
        (3600, 3600, 3629),  # 30 s wide from one hour
        (14400, 14400, 14699),  # 300 s wide from four hours
        (86400, 86400, 89999),  # 3600 s wide from a day
        (90061, 90000, 93599),
    ],
)
def test_each_time_falls_in_the_documented_bucket(seconds, low, high):
    assert bucket_low(seconds) == low
    assert bucket_high(low) == high


def test_the_median_is_the_nearest_rank_a_time_some_call_took():
    """10, 20, 30, 40 s: rank ceil(0.5 x 4) = 2 -> 20 s (not the interpolated 25 s);
    p80: rank ceil(3.2) = 4 -> 40 s; p95 -> 40 s."""
    buckets = {10: 1, 20: 1, 30: 1, 40: 1}
    assert [percentile(buckets, p) for p in (50, 80, 90, 95)] == [20, 40, 40, 40]


def test_percentiles_of_ten_calls_by_hand():
    """Waits 1 x 5 s, 6 x 12 s, 2 x 30 s, 1 x 700 s (n = 10): p50 = rank 5 -> 12 s;
    p80 = rank 8 -> 30 s; p90 = rank 9 -> 30 s; p95 = rank ceil(9.5) = 10 -> 700 s,
    whose bucket is 700..704: reported 704 (the top of its bucket)."""
    buckets = {5: 1, 12: 6, 30: 2, bucket_low(700): 1}
    assert [percentile(buckets, p) for p in (50, 80, 90, 95)] == [12, 30, 30, 704]


def test_no_calls_have_no_percentile():
    assert percentile({}, 50) is None
    assert percentile({10: 0}, 50) is None


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=60))
def test_a_percentile_is_never_below_the_exact_one_and_within_its_bucket(values):
    """Against percentile_disc on the raw values: equal below 600 s, else at most the
    bucket's width above."""
    buckets = Counter(bucket_low(v) for v in values)
    ordered = sorted(values)
    for p in (50, 80, 90, 95, 100):
        exact = ordered[-(-p * len(values) // 100) - 1]
        found = percentile(buckets, p)
        assert found is not None
        assert bucket_low(exact) <= found == bucket_high(bucket_low(exact))
        if exact < 600:
            assert found == exact
