"""The 15-minute staffing slot of a call, in the centre's time zone (issue 14 point 3:
"in the centre's time zone, DST days handled")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from projections.cost.view import slot_of

LONDON = ZoneInfo("Europe/London")


def local(month, day, hour, minute, zone=LONDON):
    """A UTC instant of 2026 seen in ``zone``."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC).astimezone(zone)


def test_a_call_falls_in_the_wall_clock_quarter_hour_that_holds_it():
    """09:44:59 BST (08:44:59 UTC) on 2 June 2026 -> the slot 09:30 at +60 minutes."""
    moment = datetime(2026, 6, 2, 8, 44, 59, 999, tzinfo=UTC).astimezone(LONDON)
    assert slot_of(moment) == (datetime(2026, 6, 2, 9, 30), 60)


def test_the_hour_repeated_when_clocks_go_back_is_two_slots_told_apart_by_offset():
    """25 October 2026, London: 01:30 BST is 00:30 UTC, 01:30 GMT is 01:30 UTC."""
    assert slot_of(local(10, 25, 0, 30)) == (datetime(2026, 10, 25, 1, 30), 60)
    assert slot_of(local(10, 25, 1, 30)) == (datetime(2026, 10, 25, 1, 30), 0)


def test_the_hour_skipped_when_clocks_go_forward_has_no_slot():
    """29 March 2026, London: 00:59 UTC is 00:59 GMT, 01:00 UTC is already 02:00 BST."""
    assert slot_of(local(3, 29, 0, 59)) == (datetime(2026, 3, 29, 0, 45), 0)
    assert slot_of(local(3, 29, 1, 0)) == (datetime(2026, 3, 29, 2, 0), 60)


def test_a_zone_a_quarter_hour_off_the_hour_floors_its_own_wall_clock():
    """Kathmandu is UTC+05:45: 03:20 UTC is 09:05 local -> slot 09:00 at +345 minutes."""
    moment = local(3, 2, 3, 20, ZoneInfo("Asia/Kathmandu"))
    assert slot_of(moment) == (datetime(2026, 3, 2, 9, 0), 345)
