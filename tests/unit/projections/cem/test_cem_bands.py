"""The bands of the cem view, one definition (METRICS.md "CEM view": handle-time band
< 3, 3 to < 6, 6 to < 10, >= 10 minutes, 360 s in 6-10 and 600 s in > 10; "CRM view":
contact-pressure bands with 3 and 4 apart)."""

from __future__ import annotations

import pytest

from projections.cem.bands import (
    HANDLE_TIME_BANDS,
    PRESSURE_BANDS,
    handle_time_band,
    pressure_band,
)


@pytest.mark.parametrize(
    ("seconds", "band"),
    [(0, "<3"), (179, "<3"), (180, "3-6"), (359, "3-6"), (360, "6-10"), (599, "6-10"),
     (600, ">10"), (7200, ">10")],
)  # fmt: skip
def test_handle_time_bands_are_half_open(seconds, band):
    assert handle_time_band(seconds) == band


@pytest.mark.parametrize(
    ("sends", "band"), [(0, "0"), (1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5+"), (9, "5+")]
)
def test_pressure_bands_keep_3_and_4_apart(sends, band):
    assert pressure_band(sends) == band


def test_every_band_is_listed_once_in_order():
    assert HANDLE_TIME_BANDS == ("<3", "3-6", "6-10", ">10")
    assert PRESSURE_BANDS == ("0", "1", "2", "3", "4", "5+")
