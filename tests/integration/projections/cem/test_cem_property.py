"""Property: for random histories, the cem view after incremental projection (random page
sizes, random stop/restart points, facts arriving between catch-ups) equals the view
after one rebuild from scratch, and both equal a plain in-memory reference written
here from METRICS.md ("CEM view") and the attribution rules of notes/cem_tables.md.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from domain import commands as c
from projections.cem.view import CemView
from projections.config import ViewConfig
from projections.runner import ProjectionRunner
from tests.integration.projections.cem.support import (
    T0,
    CemHarness,
    call,
    campaign,
    correct,
    mailshot,
    register,
    reply,
)

CUSTOMERS = ("A", "B", "C")
KEY = ("day", "survey_kind", "queue", "agent_id", "reason", "handle_time_band",
       "repeat_contact", "pressure_band", "segment")  # fmt: skip
W, PRESSURE, LOOP = timedelta(days=7), timedelta(days=30), timedelta(hours=48)

# Instants on a 12-hour grid (so the 48 h, 7 day and 30 day edges are hit exactly),
# sometimes one second off the grid (just inside / just outside an edge).
instants = st.builds(
    lambda k, s: T0 + timedelta(hours=12 * k, seconds=s),
    st.integers(0, 80),
    st.sampled_from([-1, 0, 0, 0, 1]),
)
customers = st.sampled_from(CUSTOMERS)
handled = st.sampled_from([0, 179, 180, 359, 360, 600, 601, 1200])


@st.composite
def histories(draw: st.DrawFn) -> list[c.Command]:
    """Calls, corrections, mailshots (sent and held back), registrations, replies."""
    cmds: list[c.Command] = [campaign()]
    calls: list[tuple[str, str, bool]] = []  # (call sid, customer, answered)
    unregistered = list(CUSTOMERS)
    for i in range(draw(st.integers(1, 40))):
        kind = draw(
            st.sampled_from(["call", "call", "fix", "mail", "held", "reg", "reply", "reply"])
        )
        if kind == "fix" and calls:
            sid, who, answered = draw(st.sampled_from(calls))
            cmds.append(correct(sid, n=i, customer=who, **draw(_fixes(answered))))
        elif kind == "mail":
            cmds.append(mailshot(f"m{i}", draw(customers), draw(instants)))
        elif kind == "held":
            cmds.append(_held_back(f"h{i}", draw(customers), draw(instants)))
        elif kind == "reg" and unregistered:
            who = unregistered.pop(draw(st.integers(0, len(unregistered) - 1)))
            cmds.append(register(who, draw(st.sampled_from(["gold", "basic", None]))))
        elif kind == "reply":
            about = draw(st.none() | st.sampled_from(calls)) if calls else None
            cmds.append(_reply(draw, f"r{i}", about))
        else:
            cmds.append(_call(draw, f"k{i}"))
            new = cmds[-1]
            assert isinstance(new, c.RecordCall)
            calls.append((f"k{i}", new.customer_ref, new.outcome == "answered"))
    return cmds


def _call(draw: st.DrawFn, sid: str) -> c.RecordCall:
    answered = draw(st.booleans())
    talk, hold, acw = (draw(handled), draw(st.sampled_from([0, 1])), 0) if answered else (0, 0, 0)
    return call(
        sid, draw(customers), draw(instants), reason=draw(st.sampled_from(["bill", "move"])),
        queue=draw(st.sampled_from(["q1", "q2"])), agent_id=draw(st.sampled_from(["a1", None])),
        outcome="answered" if answered else "abandoned", talk_seconds=talk, hold_seconds=hold,
        after_call_work_seconds=acw,
    )  # fmt: skip


@st.composite
def _fixes(draw: st.DrawFn, answered: bool) -> dict[str, Any]:
    """Amended fields (an abandoned call keeps no handled time)."""
    acw = st.sampled_from([0, 200, 500]) if answered else st.nothing()
    fixes = {
        "reason": draw(st.none() | st.sampled_from(["bill", "move"])),
        "queue": draw(st.none() | st.sampled_from(["q1", "q2", "q3"])),
        "agent_id": draw(st.none() | st.just("a2")),
        "after_call_work_seconds": draw(st.none() | acw),
    }
    if all(v is None for v in fixes.values()):
        fixes["reason"] = "move"
    return {k: v for k, v in fixes.items() if v is not None}


def _reply(draw: st.DrawFn, sid: str, about: tuple[str, str, bool] | None) -> c.RecordSurveyReply:
    """A reply by anyone, or about a call (then by that call's customer)."""
    scores = {
        "nps": draw(st.none() | st.integers(0, 10)),
        "csat": draw(st.none() | st.integers(1, 5)),
        "effort": draw(st.none() | st.integers(1, 7)),
    }
    if all(v is None for v in scores.values()):
        scores["nps"] = draw(st.integers(0, 10))
    kind = draw(st.sampled_from(["transactional", "relationship"]))
    who, call_sid = (draw(customers), None) if about is None else (about[1], about[0])
    return reply(sid, who, draw(instants), about=call_sid, survey_kind=kind, **scores)


def _held_back(sid: str, customer: str, at: datetime) -> c.Command:
    return c.RecordMailshotHeldBack(
        occurred_at=at, source="print", source_id=sid, customer_ref=customer, campaign_id="K1",
        channel="email",
    )  # fmt: skip


# --- the in-memory reference, from METRICS.md -------------------------------------


def _band(seconds: int) -> str:
    if seconds < 180:
        return "<3"
    if seconds < 360:
        return "3-6"
    return "6-10" if seconds < 600 else ">10"  # half-open: 600 s is ">10" (METRICS.md)


def _pressure(count: int) -> str:
    return {0: "0", 1: "1", 2: "2", 3: "3", 4: "4"}.get(count, "5+")  # 3 and 4 apart


def reference(cmds: list[c.Command], positions: list[int], zone: str) -> dict[int, dict[str, Any]]:
    """Every reply (by position) with its attribution key and follow-up instant."""
    calls: dict[str, dict[str, Any]] = {}
    sends, segments, replies = [], {}, []
    for cmd, position in zip(cmds, positions, strict=True):
        if isinstance(cmd, c.RecordCall):
            calls[cmd.source_id] = cmd.model_dump()
        elif isinstance(cmd, c.CorrectCall):
            fields = cmd.model_dump(exclude={"call", "occurred_at", "source", "source_id", "kind"})
            calls[cmd.call.source_id] |= {
                k: v for k, v in fields.items() if v is not None and k != "customer_ref"
            }
        elif isinstance(cmd, c.RecordMailshotSent):
            sends.append((cmd.customer_ref, cmd.occurred_at))
        elif isinstance(cmd, c.RegisterCustomer):
            segments[cmd.customer_ref] = cmd.segment
        elif isinstance(cmd, c.RecordSurveyReply):
            replies.append((position, cmd))
    return {pos: _attribute(r, calls, sends, segments, zone) for pos, r in replies}


def _attribute(
    r: c.RecordSurveyReply, calls: dict[str, Any], sends: list, segments: dict, zone: str
) -> dict[str, Any]:
    k = calls[r.about.source_id] if r.about else None
    at, who = r.occurred_at, r.customer_ref
    row: dict[str, Any] = {
        "day": at.astimezone(ZoneInfo(zone)).date(), "survey_kind": r.survey_kind,
        "queue": None, "agent_id": None, "reason": None, "handle_time_band": None,
        "repeat_contact": None, "segment": segments.get(who),
        "pressure_band": _pressure(sum(w == who and at - PRESSURE <= t <= at for w, t in sends)),
        "nps": r.nps, "csat": r.csat, "effort": r.effort, "followup_at": None,
    }  # fmt: skip
    if k is not None:
        row |= {name: k[name] for name in ("queue", "agent_id", "reason")}
        row["handle_time_band"] = _band(
            k["talk_seconds"] + k["hold_seconds"] + k["after_call_work_seconds"]
        )
        row["repeat_contact"] = any(
            e["outcome"] == "answered" and e["customer_ref"] == k["customer_ref"]
            and e["reason"] == k["reason"]
            and k["occurred_at"] - W <= e["occurred_at"] < k["occurred_at"]
            for e in calls.values()
        )  # fmt: skip
    if r.nps is not None and r.nps <= 6:
        follow = [t for w, t in sends if w == who and at < t <= at + LOOP]  # strictly after
        follow += [
            e["occurred_at"] for e in calls.values()
            if e is not k and e["customer_ref"] == who and e["outcome"] == "answered"
            and at < e["occurred_at"] <= at + LOOP
        ]  # fmt: skip
        row["followup_at"] = min(follow, default=None)
    return row


def reference_daily(replies: dict[int, dict[str, Any]]) -> dict[tuple, Counter]:
    daily: dict[tuple, Counter] = {}
    for r in replies.values():
        nps, csat, effort = r["nps"], r["csat"], r["effort"]
        parts = daily.setdefault(tuple(r[k] for k in KEY), Counter())
        parts["replies"] += 1
        parts["nps_replies"] += nps is not None
        parts["promoters"] += nps is not None and nps >= 9
        parts["passives"] += nps is not None and 7 <= nps <= 8
        parts["detractors"] += nps is not None and nps <= 6
        parts["csat_replies"] += csat is not None
        parts["csat_top2"] += csat is not None and csat >= 4
        parts["effort_replies"] += effort is not None
        parts["effort_sum"] += effort or 0
        parts["effort_5_7"] += effort is not None and effort >= 5
    return daily


def loop_state(r: dict[str, Any], at: datetime) -> str:
    if r["followup_at"] is not None and r["followup_at"] <= at:
        return "closed"
    return "expired" if r["occurred_at"] + LOOP <= at else "open"  # closed from its end on


# --- the property ----------------------------------------------------------------


def _snapshot(services) -> tuple[list, list]:
    with services.key_pool.connection() as conn:
        daily = conn.execute(
            "SELECT * FROM cem_daily ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
        ).fetchall()
        replies = conn.execute("SELECT * FROM cem_replies ORDER BY position").fetchall()
    return daily, replies


def _view_daily(services) -> dict[tuple, Counter]:
    harness = CemHarness(services)
    with services.key_pool.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM cem_daily")
        names = [col.name for col in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    del harness
    return {
        tuple(r[k] for k in KEY): Counter({n: r[n] for n in names[len(KEY) :] if r[n]})
        for r in rows
    }


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """A history and how to project it, all drawn before any database work."""
    cmds = draw(histories())
    chunks, left = [], len(cmds)
    while left:
        chunks.append(draw(st.integers(1, left)))
        left -= chunks[-1]
    return {
        "cmds": cmds,
        "zone": draw(st.sampled_from(["UTC", "America/New_York"])),
        "chunks": chunks,  # record in batches of these sizes
        "pages": [draw(st.integers(1, 9)) for _ in chunks],  # a new runner after each batch
        "stops": [draw(st.floats(0, 1)) for _ in chunks],  # ... catching up this far
        "rebuild_page": draw(st.integers(1, 50)),
        "at": draw(instants),
    }


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
def test_incremental_equals_rebuild_equals_the_reference(fresh_database, plan):
    config = ViewConfig(timezone=plan["zone"])
    with fresh_database() as url:
        services = build_services(Settings(database_url=url, pool_size=2), url)
        try:
            positions = _record_and_project(services, config, plan)
            live = _snapshot(services)
            _runner(services, config, plan["rebuild_page"]).rebuild("cem")
            assert _snapshot(services) == live  # (a) incremental == (b) rebuild
            expected = reference(plan["cmds"], positions, plan["zone"])
            _check_against_reference(services, config, expected, plan["at"])  # (b) == (c)
        finally:
            services.close()


def _runner(services, config, page_size):
    return ProjectionRunner(services.ledger, services.key_pool, [CemView(config)], page_size)


def _record_and_project(services, config, plan) -> list[int]:
    """Record in batches; after each, a new runner (a restart) with its own page size
    catches up part of the way; at the end one catches up fully."""
    positions: list[int] = []
    rest = list(plan["cmds"])
    for size, page, stop in zip(plan["chunks"], plan["pages"], plan["stops"], strict=True):
        chunk, rest = rest[:size], rest[size:]
        outcomes = services.ledger.record_batch(chunk, "prop")
        assert [o.error for o in outcomes] == [None] * len(chunk)
        positions += [o.position for o in outcomes]
        until = positions[int(stop * (len(positions) - 1))]
        _runner(services, config, page).catch_up("cem", until=until)
    _runner(services, config, 4).catch_up("cem")
    return positions


def _check_against_reference(services, config, expected, at) -> None:
    assert _view_daily(services) == {k: +v for k, v in reference_daily(expected).items()}
    harness = CemHarness(services, config)
    rows = harness.reply_rows()
    assert set(rows) == set(expected)
    for position, want in expected.items():
        got = rows[position]
        assert {k: got[k] for k in (*KEY, "followup_at")} == {
            k: want[k] for k in (*KEY, "followup_at")
        }
        want["occurred_at"] = got["occurred_at"]
    detractors = [r for r in expected.values() if r["nps"] is not None and r["nps"] <= 6]
    states = Counter(loop_state(r, at) for r in detractors)
    total = harness.total(at=at)
    assert (total["open"], total["closed"], total["expired"]) == (
        states["open"], states["closed"], states["expired"],
    )  # fmt: skip
    listed = Counter(r["state"] for r in harness.followups(at=at))
    assert listed == Counter({s: states[s] for s in ("open", "expired") if states[s]})
