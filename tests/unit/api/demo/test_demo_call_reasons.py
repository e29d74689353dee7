"""The demo publishes its centre's call reasons, and every call it makes is on that list."""

from __future__ import annotations

from datetime import date

from api.demo.history import DemoConfig, generate
from api.demo.world import REASONS
from domain import commands as c
from domain.reasons import STARTER
from tests.unit.fakes import FakeSession

TINY = DemoConfig(customers=60, months=2, seed=7, end=date(2026, 3, 1))


def test_the_demo_publishes_one_closed_list_before_its_history():
    history = list(generate(TINY))
    published = [cmd for cmd in history if isinstance(cmd, c.PublishCallReasons)]

    assert len(published) == 1
    (reasons,) = published
    assert reasons.free_text_allowed is False
    assert reasons.occurred_at < TINY.start_at
    assert [(r.code, r.label) for r in reasons.reasons] == list(STARTER.reasons)
    FakeSession().record(reasons)  # a list the domain accepts (codes unique)


def test_every_reason_the_demo_calls_with_is_on_its_list():
    history = list(generate(TINY))
    (published,) = [cmd for cmd in history if isinstance(cmd, c.PublishCallReasons)]
    listed = {r.code for r in published.reasons}

    used = {cmd.reason for cmd in history if isinstance(cmd, c.RecordCall)}
    used |= {cmd.reason for cmd in history if isinstance(cmd, c.CorrectCall) and cmd.reason}

    assert used <= listed
    assert {reason.code for reason in REASONS} == listed
