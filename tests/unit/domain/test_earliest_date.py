"""The earliest accepted date is a setting (issue 14): the rule reads it from the session."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.settings import Settings
from domain import errors
from domain.rules import EARLIEST
from tests import builders as b
from tests.unit.fakes import FakeSession

OLD = datetime(1999, 1, 1, 8, 0, tzinfo=UTC)


def test_by_default_facts_before_2000_are_refused_naming_the_date():
    with pytest.raises(errors.OccurredTooLongAgo, match="is before 2000-01-01"):
        FakeSession().record(b.call("old", occurred_at=OLD))


def test_an_earlier_setting_accepts_a_historical_call_and_still_refuses_older_ones():
    session = FakeSession(earliest=datetime(1999, 1, 1, tzinfo=UTC))

    fact = session.record(b.call("old", occurred_at=OLD))

    assert fact.occurred_at == OLD
    with pytest.raises(errors.OccurredTooLongAgo, match="is before 1999-01-01"):
        session.record(b.call("older", occurred_at=datetime(1998, 12, 31, 23, tzinfo=UTC)))


def test_the_offered_time_of_a_call_is_held_to_the_same_setting():
    session = FakeSession(earliest=datetime(1999, 6, 1, tzinfo=UTC))

    with pytest.raises(errors.OccurredTooLongAgo) as refused:
        session.record(b.call("old", occurred_at=datetime(1999, 7, 1, tzinfo=UTC), offered_at=OLD))

    assert refused.value.field == "offered_at"


def test_the_setting_is_a_day_read_as_midnight_utc(monkeypatch):
    monkeypatch.setenv("TOUCHPOINT_EARLIEST_DATE", "1998-12-31")

    assert Settings().earliest_date == date(1998, 12, 31)
    assert Settings().earliest == datetime(1998, 12, 31, tzinfo=UTC)
    monkeypatch.delenv("TOUCHPOINT_EARLIEST_DATE")
    assert Settings().earliest == EARLIEST
