"""Why the customer may be calling: a short ranked list of reasons an agent can act on.

Read from the customer's timeline rows of a recent horizon (one query), ranked here
(the rules are in ``projections/README.md``, "Why they may be calling"):

1. an **alert** sent in the last 14 days (fraud alert, service outage: asks for a reply);
2. an **open detractor** reply (its follow-up window not yet closed, METRICS.md);
3. an **unresolved call**, one per reason, in the last 30 days, whose reason no later
   resolved call has settled;
4. a **repeat-contact** pattern: 3 or more calls in the repeat window W;
5. a **service** send, then 6. a **marketing** send of the last 14 days.

Newsletters ask for no reply and a bounced send never arrived: neither is a reason.
Within a rank, newest first (by ``occurred_at``, then log position); at most 5 in all.
Sentences name no personal data (no name, no comment), only what the agent needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from psycopg import Connection

from projections.config import ViewConfig
from projections.customer.models import CallingBecause, CallingReason, interaction
from projections.customer.timeline import ORDER_NEWEST, ROWS, Opener, all_rows

__all__ = [
    "MAX_REASONS",
    "RECENT_OUTBOUND",
    "REPEAT_CALLS",
    "UNRESOLVED_HORIZON",
    "Candidate",
    "calling_reasons",
    "rank",
    "when",
]

MAX_REASONS = 5
RECENT_OUTBOUND = timedelta(days=14)
# An unresolved call older than this no longer crowds the list: a customer chasing an
# open matter calls back within days or a few weeks (a new card, a complaint's reply);
# 30 days is also the contact-pressure window, so the agent's horizon is one month.
UNRESOLVED_HORIZON = timedelta(days=30)
REPEAT_CALLS = 3  # two calls are often a dropped call and its callback; three a pattern
# Lower ranks first; a purpose not listed (newsletter) is never a reason.
OUTBOUND_RANK = {"alert": 0, "service": 4, "marketing": 5}
RANK: dict[CallingBecause, int] = {"open_detractor": 1, "unresolved_call": 2, "repeat_contact": 3}
CHANNEL_NOUN = {"sms": "SMS", "email": "e-mail", "post": "letter", "phone": "call"}
Row = dict[str, Any]


@dataclass(frozen=True)
class Candidate:
    """A reason before ranking: its rank, the timeline row it links to, its sentence."""

    rank: int
    because: CallingBecause
    row: Row
    sentence: str

    def key(self) -> tuple[int, float, int]:
        return (self.rank, -self.row["occurred_at"].timestamp(), -self.row["position"])


def calling_reasons(
    conn: Connection[Any],
    opener: Opener,
    ref: str,
    at: datetime,
    config: ViewConfig,
    *,
    open_detractors: Sequence[int],
) -> list[CallingReason]:
    """The ranked reasons of ``ref`` at ``at``; ``open_detractors``: positions of the
    detractor replies still open at ``at`` (the profile's own rule)."""
    horizon = max(
        UNRESOLVED_HORIZON,
        RECENT_OUTBOUND,
        timedelta(days=config.repeat_window_days),
        timedelta(hours=config.closed_loop_hours),
    )
    rows = all_rows(
        conn,
        f"{ROWS} WHERE t.customer_ref = %(ref)s "
        f"AND t.occurred_at BETWEEN %(at)s - %(horizon)s AND %(at)s {ORDER_NEWEST}",
        {"ref": ref, "at": at, "horizon": horizon},
    )
    return [
        CallingReason(
            because=c.because, sentence=c.sentence, interaction=interaction(c.row, opener.open)
        )
        for c in rank(rows, at, config, set(open_detractors))
    ]


def rank(
    rows: Sequence[Row], at: datetime, config: ViewConfig, open_detractors: set[int]
) -> list[Candidate]:
    """The candidates of ``rows`` (newest first, none after ``at``), ranked, at most 5."""
    zone = config.zone
    found = [
        *_outbound(rows, at, zone),
        *_detractors(rows, at, zone, open_detractors, config),
        *_unresolved(rows, at, zone),
        *_repeat(rows, at, zone, config.repeat_window_days),
    ]
    return sorted(found, key=Candidate.key)[:MAX_REASONS]


def _outbound(rows: Sequence[Row], at: datetime, zone: ZoneInfo) -> list[Candidate]:
    found = []
    for row in rows:
        purpose = row["campaign_purpose"] or "marketing"
        if row["kind"] != "mailshot" or purpose not in OUTBOUND_RANK:
            continue
        bounced = row["bounced_at"] is not None and row["bounced_at"] <= at
        if row["occurred_at"] < at - RECENT_OUTBOUND or bounced:
            continue
        found.append(
            Candidate(OUTBOUND_RANK[purpose], "recent_outbound", row, _sent(row, at, zone))
        )
    return found


def _sent(row: Row, at: datetime, zone: ZoneInfo) -> str:
    purpose = row["campaign_purpose"] or "marketing"
    noun = CHANNEL_NOUN.get(row["channel"], row["channel"])
    name = row["campaign_name"] or row["campaign_id"]
    verb = "made" if row["channel"] == "phone" else "sent"  # telemarketing: a call dialled
    head = f"{_KIND_OF_SEND[purpose]} {noun} “{name}” {verb} {when(row['occurred_at'], at, zone)}"
    sentence = f"{head}: {_ASK[purpose]}."
    replied = row["first_response_at"]
    if replied is not None and replied <= at:
        how = row["first_response_how"]
        sentence += f" They already replied ({how}) {when(replied, at, zone)}."
    return sentence


_KIND_OF_SEND = {"alert": "Alert", "service": "Service", "marketing": "Offer"}
_ASK = {
    "alert": "an alert asks for an urgent reply, start with this",
    "service": "they may be calling about it",
    "marketing": "they may be calling about the offer",
}


def _detractors(
    rows: Sequence[Row], at: datetime, zone: ZoneInfo, open_positions: set[int], config: ViewConfig
) -> list[Candidate]:
    found = []
    for row in rows:
        if row["kind"] == "survey" and row["position"] in open_positions:
            due = row["occurred_at"] + timedelta(hours=config.closed_loop_hours)
            about = {"call": " about a call", "mailshot": " about a mailshot"}
            topic = about.get(row["about_kind"] or "", f" ({row['survey_kind']} survey)")
            sentence = (
                f"Detractor score {row['nps']}/10 {when(row['occurred_at'], at, zone)}{topic}, "
                f"not followed up yet: close the loop by {when(due, at, zone)}."
            )
            found.append(Candidate(RANK["open_detractor"], "open_detractor", row, sentence))
    return found


def _unresolved(rows: Sequence[Row], at: datetime, zone: ZoneInfo) -> list[Candidate]:
    """One candidate per reason: its latest unresolved call, unless a later call with that
    reason was resolved (a call at the same instant is not later)."""
    calls = [r for r in rows if r["kind"] == "call" and r["occurred_at"] >= at - UNRESOLVED_HORIZON]
    settled: dict[str, datetime] = {}  # reason -> the latest resolved call's time
    for row in calls:
        if row["resolved"]:
            settled[row["reason"]] = max(
                settled.get(row["reason"], row["occurred_at"]), row["occurred_at"]
            )
    open_calls: dict[str, list[Row]] = {}
    for row in calls:  # newest first: the first of a reason is its latest
        last_settled = settled.get(row["reason"])
        if not row["resolved"] and (last_settled is None or last_settled <= row["occurred_at"]):
            open_calls.setdefault(row["reason"], []).append(row)
    return [
        Candidate(
            RANK["unresolved_call"], "unresolved_call", same[0], _open_sentence(same, at, zone)
        )
        for same in open_calls.values()
    ]


def _open_sentence(same: Sequence[Row], at: datetime, zone: ZoneInfo) -> str:
    last = same[0]
    head = f"“{last['reason']}” is not resolved"
    if len(same) > 1:
        head += f" after {len(same)} calls"
    moment = when(last["occurred_at"], at, zone)
    if last["outcome"] == "abandoned":
        wait = _duration(last["wait_seconds"])
        return f"{head}: the caller hung up {moment} after waiting {wait} ({last['queue']} queue)."
    agent = f", agent {last['agent_id']}" if last["agent_id"] else ""
    call = "the last call" if len(same) > 1 else "the call"
    return f"{head}: {call} {moment} ({last['queue']} queue{agent}) ended without a resolution."


def _repeat(rows: Sequence[Row], at: datetime, zone: ZoneInfo, days: int) -> list[Candidate]:
    window = [
        r for r in rows if r["kind"] == "call" and r["occurred_at"] >= at - timedelta(days=days)
    ]
    if len(window) < REPEAT_CALLS:
        return []
    reasons = [r["reason"] for r in window]
    top = max(sorted(set(reasons)), key=reasons.count)  # ties: the first reason by name
    most = f", {reasons.count(top)} about “{top}”" if reasons.count(top) > 1 else ""
    sentence = (
        f"{len(window)} calls in the last {days} days{most}, the latest "
        f"{when(window[0]['occurred_at'], at, zone)}: a repeat caller, check what the earlier "
        "calls left open."
    )
    return [Candidate(RANK["repeat_contact"], "repeat_contact", window[0], sentence)]


def when(moment: datetime, at: datetime, zone: ZoneInfo) -> str:
    """``moment`` for a sentence read at ``at``, in the centre's time zone, with the zone:
    "today at 09:12 GMT", "yesterday at …", "on Fri 4 Dec at …" (the year if not ``at``'s)."""
    local, today = moment.astimezone(zone), at.astimezone(zone).date()
    days = (today - local.date()).days
    if days == 0:
        day = "today"
    elif days == 1:
        day = "yesterday"
    elif days == -1:
        day = "tomorrow"
    else:
        year = "" if local.year == today.year else f" {local.year}"
        day = f"on {local:%a} {local.day} {local:%b}{year}"
    return f"{day} at {local:%H:%M} {local:%Z}"


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"
