"""Property: every well-formed call is accepted and its fact says what the call said."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from domain import commands as c
from domain import facts as f
from domain import ids
from tests.unit.fakes import NOW, FakeSession

# Short text as the boundary accepts it: no control characters (nor surrogates).
text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=200)
seconds = st.integers(min_value=0, max_value=10**7)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=NOW.replace(tzinfo=None), timezones=st.just(UTC)
)


@st.composite
def calls(draw: st.DrawFn) -> c.RecordCall:
    outcome = draw(st.sampled_from(["answered", "abandoned"]))
    handled = seconds if outcome == "answered" else st.just(0)
    return c.RecordCall(
        occurred_at=draw(instants),
        source=draw(text),
        source_id=draw(text),
        customer_ref=draw(text),
        queue=draw(text),
        agent_id=draw(st.none() | text),
        reason=draw(text),
        offered_at=draw(st.none() | instants),
        wait_seconds=draw(seconds),
        outcome=outcome,
        talk_seconds=draw(handled),
        hold_seconds=draw(handled),
        after_call_work_seconds=draw(handled),
        resolved=draw(st.booleans()),
        transferred=draw(st.booleans()),
    )


CARRIED = (
    "occurred_at", "source", "source_id", "customer_ref", "queue", "agent_id", "reason",
    "wait_seconds", "outcome", "talk_seconds", "hold_seconds", "after_call_work_seconds",
    "resolved", "transferred",
)  # fmt: skip


@given(calls())
def test_any_consistent_call_is_recorded_with_the_same_fields(cmd):
    fact = FakeSession().record(cmd)
    assert isinstance(fact, f.CallRecorded)
    assert {n: getattr(fact, n) for n in CARRIED} == {n: getattr(cmd, n) for n in CARRIED}
    assert fact.offered_at == (cmd.offered_at or cmd.occurred_at)
    assert fact.originator_id == ids.call_stream_id(cmd.source, cmd.source_id) == cmd.fact_id()
    assert fact.originator_version == 1
