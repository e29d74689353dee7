"""A plain in-memory reference of the cost view, written from METRICS.md "Cost view".

It works call by call (no buckets, no SQL) so the property test can hold the view's
tables and query results against an independent computation. The tests below check
the reference itself on hand-computed cases, and ``merge_corrections`` of the view.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

from domain import commands as c
from domain.facts import CallCorrected
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.cost.view import merge_corrections, relink_spans

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_FIELDS = {  # CorrectCall field -> RefCall attribute
    "queue": "queue",
    "agent_id": "agent",
    "reason": "reason",
    "talk_seconds": "talk",
    "hold_seconds": "hold",
    "after_call_work_seconds": "acw",
    "resolved": "resolved",
    "transferred": "transferred",
}


@dataclass(frozen=True)
class RefCall:
    """A call as currently corrected."""

    source_id: str
    customer: str
    occurred_at: datetime
    queue: str
    agent: str
    reason: str
    outcome: str
    wait: int
    talk: int
    hold: int
    acw: int
    resolved: bool
    transferred: bool

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"

    @property
    def handled(self) -> int:
        return self.talk + self.hold + self.acw

    def day(self, config: ViewConfig) -> date:
        return self.occurred_at.astimezone(config.zone).date()


def replay(commands: Iterable[c.Command]) -> list[RefCall]:
    """The calls after every ``RecordCall`` / ``CorrectCall``, taken in log order."""
    calls: dict[tuple[str, str], RefCall] = {}
    for cmd in commands:
        if isinstance(cmd, c.RecordCall):
            calls[(cmd.source, cmd.source_id)] = _from_record(cmd)
        elif isinstance(cmd, c.CorrectCall):
            key = (cmd.call.source, cmd.call.source_id)
            amended = {_FIELDS[n]: v for n in _FIELDS if (v := getattr(cmd, n)) is not None}
            calls[key] = replace(calls[key], **amended)
    return list(calls.values())


def _from_record(cmd: c.RecordCall) -> RefCall:
    return RefCall(
        cmd.source_id,
        cmd.customer_ref,
        cmd.occurred_at,
        cmd.queue,
        cmd.agent_id or "",
        cmd.reason,
        cmd.outcome,
        cmd.wait_seconds,
        cmd.talk_seconds,
        cmd.hold_seconds,
        cmd.after_call_work_seconds,
        cmd.resolved,
        cmd.transferred,
    )


def repeats_of(call: RefCall, calls: Sequence[RefCall], config: ViewConfig) -> list[RefCall]:
    """FCR rule: later calls (answered or abandoned) of the same customer and reason
    within W of an answered ``call``, end included."""
    if not call.answered:
        return []
    end = call.occurred_at + timedelta(days=config.repeat_window_days)
    return [
        other
        for other in calls
        if other.customer == call.customer
        and other.reason == call.reason
        and call.occurred_at < other.occurred_at <= end
    ]


def first_repeat_at(call: RefCall, calls: Sequence[RefCall], config: ViewConfig) -> Any:
    found = [other.occurred_at for other in repeats_of(call, calls, config)]
    return min(found) if found else None


def is_repeat(call: RefCall, calls: Sequence[RefCall], config: ViewConfig) -> bool:
    """Repeat contacts: the call is the repeat of an earlier call under the FCR rule."""
    return any(call in repeats_of(other, calls, config) for other in calls)


def cost_of(call: RefCall, config: ViewConfig) -> Decimal:
    """Handled seconds x the queue's rate + fixed cost per answered call (answered only)."""
    if not call.answered:
        return Decimal(0)
    return call.handled * config.rate(call.queue) + config.fixed_cost_per_answered_call


def daily_key(call: RefCall, config: ViewConfig) -> tuple[Any, ...]:
    return (call.day(config), call.queue, call.agent, call.reason)


def slot_key(call: RefCall, config: ViewConfig) -> tuple[Any, ...]:
    """``cost_intervals`` key: the local quarter hour (wall clock) and the UTC offset."""
    local = call.occurred_at.astimezone(config.zone)
    offset = local.utcoffset()
    assert offset is not None
    wall = local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0, tzinfo=None)
    minutes = int(offset.total_seconds()) // 60
    return (local.date(), wall, minutes, call.queue, call.agent, call.reason)


def bucket_low(seconds: int) -> int:
    """The histogram bucket of ``seconds``, as projections/README.md documents it."""
    for upper, width in ((600, 1), (3600, 5), (14400, 30), (86400, 300)):
        if seconds < upper:
            return seconds // width * width
    return seconds // 3600 * 3600


def histograms(calls: Sequence[RefCall], config: ViewConfig) -> dict[tuple[Any, ...], int]:
    """``cost_histograms`` rows: calls per day x queue x agent x reason x measure x bucket."""
    out: dict[tuple[Any, ...], int] = defaultdict(int)
    for call in calls:
        measures = (
            [("wait", call.wait), ("handle", call.handled)]
            if call.answered
            else [("abandon_wait", call.wait)]
        )
        for measure, seconds in measures:
            out[(*daily_key(call, config), measure, bucket_low(seconds))] += 1
    return dict(out)


def buckets(
    calls: Sequence[RefCall], config: ViewConfig, key: Any = daily_key
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The additive components per day x queue x agent x reason, as ``cost_daily`` rows
    (per ``key``: ``slot_key`` gives ``cost_intervals`` rows)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for call in calls:
        row = out[key(call, config)]
        ans = call.answered
        row["offered"] += 1
        row["answered"] += ans
        row["abandoned"] += not ans
        row["short_abandoned"] += not ans and call.wait < config.short_abandon_seconds
        row["answered_wait_seconds"] += call.wait * ans
        row["talk_seconds"] += call.talk * ans
        row["hold_seconds"] += call.hold * ans
        row["after_call_work_seconds"] += call.acw * ans
        row["handled_seconds"] += call.handled * ans
        row["service_level_hits"] += ans and call.wait <= config.service_level_seconds
        row["transferred"] += ans and call.transferred
        row["resolved"] += ans and call.resolved
        row["cost"] += cost_of(call, config)
    return {
        key: {k: int(v) if k != "cost" else v for k, v in row.items()} for key, row in out.items()
    }


def metrics(
    calls: Sequence[RefCall], config: ViewConfig, at: datetime, group_by: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Every METRICS.md cost metric per group, computed straight from the calls."""
    groups: dict[tuple[Any, ...], list[RefCall]] = defaultdict(list)
    for call in calls:
        values = {"day": call.day(config), "queue": call.queue, "agent": call.agent}
        groups[tuple((values | {"reason": call.reason})[g] for g in group_by)].append(call)
    if not group_by:
        groups.setdefault((), [])
    rows = []
    for key in sorted(groups):
        row = dict(zip(group_by, key, strict=True))
        rows.append(row | _group_metrics(groups[key], calls, config, at))
    return rows


def _div(a: Any, b: int) -> Any:
    return None if b == 0 else a / b


def _group_metrics(
    group: list[RefCall], everything: Sequence[RefCall], config: ViewConfig, at: datetime
) -> dict[str, Any]:
    answered = [x for x in group if x.answered]
    abandoned = [x for x in group if not x.answered]
    short = [x for x in abandoned if x.wait < config.short_abandon_seconds]
    counted = len(group) - len(short)
    window = timedelta(days=config.repeat_window_days)
    repeated, resolved, pending = 0, 0, 0
    for x in answered:
        first = first_repeat_at(x, everything, config)
        if first is not None and first <= at:
            repeated += 1
        elif at >= x.occurred_at + window:  # METRICS.md: closed from its end instant on
            resolved += 1
        else:
            pending += 1
    cost = sum((cost_of(x, config) for x in answered), Decimal(0))
    return {
        "offered": len(group),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "short_abandons": len(short),
        "asa": _div(sum(x.wait for x in answered), len(answered)),
        "aht": _div(sum(x.handled for x in answered), len(answered)),
        "service_level": _div(
            sum(x.wait <= config.service_level_seconds for x in answered), counted
        ),
        "abandonment_rate": _div(len(abandoned) - len(short), counted),
        "fcr": _div(resolved, resolved + repeated),
        "fcr_resolved": resolved,
        "fcr_eligible": resolved + repeated,
        "fcr_pending": pending,
        "repeat_contacts": sum(is_repeat(x, everything, config) for x in group),
        "transfer_rate": _div(sum(x.transferred for x in answered), len(answered)),
        "cost": cost,
        "cost_per_contact": _div(cost, len(answered)),
    }


# --- the reference itself, on hand-computed cases ------------------------------------


def _ref(minutes: float, **over: Any) -> RefCall:
    fields: dict[str, Any] = {
        "source_id": uuid4().hex,
        "customer": "C1",
        "occurred_at": T0 + timedelta(minutes=minutes),
        "queue": "billing",
        "agent": "A1",
        "reason": "bill",
        "outcome": "answered",
        "wait": 10,
        "talk": 100,
        "hold": 0,
        "acw": 0,
        "resolved": False,
        "transferred": False,
    }
    return RefCall(**(fields | over))


SEVEN_DAYS = 7 * 24 * 60
_CALL = uuid4()


def test_the_reference_counts_a_repeat_exactly_seven_days_later():
    first, repeat = _ref(0), _ref(SEVEN_DAYS)
    assert first_repeat_at(first, [first, repeat], ViewConfig()) == repeat.occurred_at
    assert is_repeat(repeat, [first, repeat], ViewConfig())


def test_the_reference_does_not_count_a_call_one_second_after_the_window():
    first, late = _ref(0), _ref(SEVEN_DAYS + 1 / 60)
    assert first_repeat_at(first, [first, late], ViewConfig()) is None
    assert not is_repeat(late, [first, late], ViewConfig())


def test_the_reference_reports_an_open_window_as_pending():
    """FCR: calls whose window is still open and have no repeat are 'pending'."""
    [row] = metrics([_ref(0)], ViewConfig(), T0 + timedelta(days=1), ())
    assert (row["fcr_pending"], row["fcr_eligible"], row["fcr"]) == (1, 0, None)


def test_the_reference_excludes_short_abandons_from_service_level():
    """service level = answered with wait <= T / (offered - short abandons)."""
    calls = [_ref(0, wait=20), _ref(1, outcome="abandoned", wait=4, talk=0)]
    [row] = metrics(calls, ViewConfig(), T0, ())
    assert row["service_level"] == 1 / 1


def _correction_fact(position: int, **amended: Any) -> LoggedFact:
    fields: dict[str, Any] = dict.fromkeys(_FIELDS)
    fields |= amended
    fact = CallCorrected(
        originator_id=_CALL,
        originator_version=position + 1,
        timestamp=T0,
        occurred_at=T0,
        source="wrap-up",
        source_id=str(position),
        recorded_by="test",
        customer_ref="C1",
        **fields,
    )
    return LoggedFact(position, fact)


def test_corrections_of_one_call_in_a_page_merge_in_log_order():
    page = [
        _correction_fact(1, queue="sales", talk_seconds=200),
        _correction_fact(2, talk_seconds=300),
    ]
    assert merge_corrections(page) == {_CALL: {"queue": "sales", "talk_seconds": 300}}


def test_a_correction_leaves_the_fields_it_does_not_name_out_of_the_merge():
    merged = merge_corrections([_correction_fact(1, resolved=False)])
    assert merged == {_CALL: {"resolved": False}}


def test_relink_spans_cover_every_touched_instant_per_customer_and_reason():
    early, late = T0, T0 + timedelta(days=3)
    touched = [("C1", "bill", late), ("C2", "bill", early), ("C1", "bill", early)]
    assert relink_spans(touched) == [
        ["C1", "C2"],
        ["bill", "bill"],
        [early, early],
        [late, early],
    ]
