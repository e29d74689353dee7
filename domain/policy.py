"""The contact policy: may the centre contact a customer with marketing now, on a channel?

Pure: a policy (its parameters, versioned as ``ContactPolicyPublished`` facts in one stream,
``ids.contact_policy_stream_id``; a default is in force until one is published) and a
customer's history as plain data give a decision with every named rule that blocks:

- ``erased``: an erased customer is never contacted (whatever ``at``: the data is gone);
- ``consent``: the latest consent change on the channel up to ``at`` must be a grant
  (no consent recorded blocks too);
- ``pressure_cap``: mailshots sent in [at - 30 days, at] (both ends, METRICS.md "contact
  pressure") must be fewer than the cap, so one more send does not put the customer over it;
- ``unresolved_call``: quiet for N days after a call not resolved, unless a later call with
  the same reason was resolved;
- ``detractor``: quiet for N days after a detractor reply (NPS 0-6) that is open or expired
  (no outbound mailshot or answered call strictly after it within the closed-loop window,
  METRICS.md "closed loop");
- ``complaint``: quiet for N days after a call whose reason is one of the policy's
  complaint reasons.

A quiet period of N days after a fact at t blocks at every ``at`` with t <= at < t + N days:
like the windows of METRICS.md it is closed from its end instant on, so at exactly
t + N days the customer may be contacted again. Facts after ``at`` have not happened yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from domain.facts import ContactPolicyPublished
from domain.reading import LoggedFact

__all__ = [
    "COMPLAINT_REASONS",
    "PRESSURE_WINDOW",
    "RULES",
    "Block",
    "Call",
    "ConsentChange",
    "ContactPolicy",
    "Decision",
    "Erasure",
    "History",
    "Mailshot",
    "Rule",
    "Survey",
    "Trigger",
    "default_policy",
    "evaluate",
    "in_force",
]

Rule = Literal["erased", "consent", "pressure_cap", "unresolved_call", "detractor", "complaint"]
RULES: tuple[Rule, ...] = (
    "erased",
    "consent",
    "pressure_cap",
    "unresolved_call",
    "detractor",
    "complaint",
)
PRESSURE_WINDOW = timedelta(days=30)
COMPLAINT_REASONS = ("complaint",)
"""The starter list's complaint reason (``domain.reasons.STARTER``)."""
_TICK = timedelta(microseconds=1)  # PostgreSQL's resolution: the instant after another


@dataclass(frozen=True)
class ContactPolicy:
    """The policy's parameters; ``position`` of its publication (None: the default)."""

    pressure_cap: int
    unresolved_call_quiet_days: int = 14
    detractor_quiet_days: int = 14
    complaint_quiet_days: int = 30
    complaint_reasons: tuple[str, ...] = COMPLAINT_REASONS
    position: int | None = None
    published_at: datetime | None = None


def default_policy(pressure_cap: int) -> ContactPolicy:
    """In force until a policy is published: the centre's pressure cap setting
    (``TOUCHPOINT_PRESSURE_CAP``), 14 quiet days after an unresolved call or a detractor
    reply, 30 after a complaint."""
    return ContactPolicy(pressure_cap=pressure_cap)


def in_force(
    stream: Sequence[LoggedFact], default: ContactPolicy, at: datetime | None = None
) -> ContactPolicy:
    """The policy in force after the facts of the policy stream (at ``at``: the latest
    published at or before it), or ``default``."""
    for logged in reversed(stream):
        fact = logged.fact
        if isinstance(fact, ContactPolicyPublished) and (at is None or fact.occurred_at <= at):
            return ContactPolicy(
                pressure_cap=fact.pressure_cap,
                unresolved_call_quiet_days=fact.unresolved_call_quiet_days,
                detractor_quiet_days=fact.detractor_quiet_days,
                complaint_quiet_days=fact.complaint_quiet_days,
                complaint_reasons=tuple(fact.complaint_reasons),
                position=logged.position,
                published_at=fact.occurred_at,
            )
    return default


# --- the history, as plain data ---------------------------------------------------


@dataclass(frozen=True)
class Call:
    position: int
    occurred_at: datetime
    reason: str
    answered: bool
    resolved: bool


@dataclass(frozen=True)
class Mailshot:
    position: int
    occurred_at: datetime
    channel: str
    campaign_id: str


@dataclass(frozen=True)
class Survey:
    position: int
    occurred_at: datetime
    nps: int | None


@dataclass(frozen=True)
class ConsentChange:
    position: int
    occurred_at: datetime
    channel: str
    granted: bool


@dataclass(frozen=True)
class Erasure:
    position: int | None
    occurred_at: datetime


@dataclass(frozen=True)
class History:
    """What the policy reads of one customer (any order; later facts are ignored)."""

    calls: tuple[Call, ...] = ()
    mailshots: tuple[Mailshot, ...] = ()
    surveys: tuple[Survey, ...] = ()
    consent: tuple[ConsentChange, ...] = ()
    erasure: Erasure | None = None


Kind = Literal["call", "mailshot", "survey", "consent", "erasure"]


@dataclass(frozen=True)
class Trigger:
    """The fact that made a rule block: its log position, kind and time."""

    position: int | None
    kind: Kind
    occurred_at: datetime


@dataclass(frozen=True)
class Block:
    """A rule that blocks, in plain words; ``clears_at``: the first instant it no longer
    blocks if nothing else happens (None: only a new fact clears it, or never)."""

    rule: Rule
    sentence: str
    trigger: Trigger | None
    clears_at: datetime | None


@dataclass(frozen=True)
class Decision:
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.blocks


def evaluate(
    policy: ContactPolicy, history: History, channel: str, at: datetime, loop: timedelta
) -> Decision:
    """Every rule of ``policy`` that blocks contacting the customer on ``channel`` at ``at``
    (``loop``: the closed-loop window of detractor follow-up, METRICS.md)."""
    blocks = [
        _erased(history),
        _consent(history, channel, at),
        _pressure(policy, history, at),
        _unresolved(policy, history, at),
        _detractor(policy, history, at, loop),
        _complaint(policy, history, at),
    ]
    return Decision(tuple(block for block in blocks if block is not None))


def _day(instant: datetime) -> str:
    return instant.date().isoformat()


def _erased(history: History) -> Block | None:
    erasure = history.erasure
    if erasure is None:
        return None
    trigger = Trigger(erasure.position, "erasure", erasure.occurred_at)
    sentence = f"erased on {_day(erasure.occurred_at)}: never contacted again"
    return Block("erased", sentence, trigger, None)


def _consent(history: History, channel: str, at: datetime) -> Block | None:
    changes = [c for c in history.consent if c.channel == channel and c.occurred_at <= at]
    if not changes:
        return Block("consent", f"no consent to marketing by {channel} recorded", None, None)
    latest = max(changes, key=lambda c: (c.occurred_at, c.position))
    if latest.granted:
        return None
    trigger = Trigger(latest.position, "consent", latest.occurred_at)
    sentence = f"withdrew consent to marketing by {channel} on {_day(latest.occurred_at)}"
    return Block("consent", sentence, trigger, None)


def _pressure(policy: ContactPolicy, history: History, at: datetime) -> Block | None:
    sends = sorted(
        (m for m in history.mailshots if at - PRESSURE_WINDOW <= m.occurred_at <= at),
        key=lambda m: (m.occurred_at, m.position),
    )
    cap = policy.pressure_cap
    if len(sends) < cap:
        return None
    latest = sends[-1] if sends else None
    # Below the cap again once enough sends have left the window (end included: a send
    # still counts at exactly 30 days, so it leaves the instant after).
    leaving = sends[len(sends) - cap] if cap else None
    clears = None if leaving is None else leaving.occurred_at + PRESSURE_WINDOW + _TICK
    sentence = f"{len(sends)} mailshots in the last 30 days, the cap is {cap}"
    trigger = None if latest is None else Trigger(latest.position, "mailshot", latest.occurred_at)
    return Block("pressure_cap", sentence, trigger, clears)


def _quiet(
    rule: Rule, days: int, calls_or_replies: Sequence[Call | Survey], at: datetime, what: str
) -> Block | None:
    """The quiet period of ``days`` after the latest of ``calls_or_replies`` still in one."""
    period = timedelta(days=days)
    inside = [x for x in calls_or_replies if x.occurred_at <= at < x.occurred_at + period]
    if not inside:
        return None
    latest = max(inside, key=lambda x: (x.occurred_at, x.position))
    kind: Kind = "call" if isinstance(latest, Call) else "survey"
    clears = latest.occurred_at + period
    sentence = f"{what} on {_day(latest.occurred_at)}: no marketing until {_day(clears)}"
    return Block(rule, sentence, Trigger(latest.position, kind, latest.occurred_at), clears)


def _unresolved(policy: ContactPolicy, history: History, at: datetime) -> Block | None:
    def settled(call: Call) -> bool:
        return any(
            later.resolved and later.reason == call.reason and call.occurred_at < later.occurred_at
            for later in history.calls
            if later.occurred_at <= at
        )

    calls = [call for call in history.calls if not call.resolved and not settled(call)]
    days = policy.unresolved_call_quiet_days
    return _quiet("unresolved_call", days, calls, at, "unresolved call")


def _detractor(
    policy: ContactPolicy, history: History, at: datetime, loop: timedelta
) -> Block | None:
    def followed_up(reply: Survey) -> bool:
        until = min(reply.occurred_at + loop, at)
        contacts = [m.occurred_at for m in history.mailshots]
        contacts += [c.occurred_at for c in history.calls if c.answered]
        return any(reply.occurred_at < when <= until for when in contacts)

    replies = [
        s for s in history.surveys if s.nps is not None and s.nps <= 6 and not followed_up(s)
    ]
    days = policy.detractor_quiet_days
    return _quiet("detractor", days, replies, at, "detractor reply left without follow-up")


def _complaint(policy: ContactPolicy, history: History, at: datetime) -> Block | None:
    calls = [call for call in history.calls if call.reason in policy.complaint_reasons]
    return _quiet("complaint", policy.complaint_quiet_days, calls, at, "complaint")
