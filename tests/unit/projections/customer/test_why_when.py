"""How a sentence of "why they may be calling" says when something happened."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from projections.customer.why import when

AT = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)  # 10:30 in London (BST)
LONDON = ZoneInfo("Europe/London")


def test_today_and_yesterday_are_days_of_the_centre_s_time_zone():
    # 9 Jun 23:30 UTC is already 10 Jun 00:30 in London: today there, yesterday in UTC.
    late = datetime(2026, 6, 9, 23, 30, tzinfo=UTC)
    assert when(late, AT, LONDON) == "today at 00:30 BST"
    assert when(late, AT, ZoneInfo("UTC")) == "yesterday at 23:30 UTC"


def test_an_older_day_is_named_with_its_weekday_and_a_later_one_as_tomorrow():
    assert when(datetime(2026, 6, 5, 8, tzinfo=UTC), AT, LONDON) == "on Fri 5 Jun at 09:00 BST"
    assert when(datetime(2026, 6, 11, 8, tzinfo=UTC), AT, LONDON) == "tomorrow at 09:00 BST"


def test_the_year_is_given_only_when_it_is_not_the_year_of_at():
    winter = datetime(2025, 12, 30, 15, 5, tzinfo=UTC)
    assert when(winter, AT, LONDON) == "on Tue 30 Dec 2025 at 15:05 GMT"
