"""Inbound calls: arrivals by weekday and time of day, queues with small teams, outcomes.

Each queue is a team of agents whose number on shift follows the calls expected
in each half hour (with a lean or generous day now and then). Callers are
answered first come, first served by the agent free soonest; a caller whose
patience runs out before an agent is free abandons. So waits grow when a queue is
busy, and abandonment grows with the waits. Talk, hold and wrap-up times are
log-normal. Unresolved and abandoned calls often come back: the repeats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from api.demo import surveys
from api.demo.state import Run
from api.demo.world import AGENT_SERIES, QUEUES, REASON, REASONS, SOURCE_ACD, Customer, Reason
from domain.commands import CorrectCall, RecordCall, Ref

SLOT = 1800  # seconds in a staffing interval
WEEKDAY_LOAD = (1.3, 1.1, 1.0, 1.0, 0.95, 0.5, 0.22)
OPEN_HOURS = ((8, 20),) * 5 + ((9, 17), (10, 16))
TARGET_OCCUPANCY = 0.65
RETURNING = 1.3  # repeats and retries on top of the spontaneous calls
_DAY = timedelta(days=1)
_SPONTANEOUS = [reason for reason in REASONS if reason.weight]


@dataclass(frozen=True)
class CallRequest:
    """A customer about to call, and why."""

    customer: Customer
    reason: Reason
    repeat_of: str | None = None  # the source id of the call this one follows up


@dataclass
class Team:
    """The agents of one queue and when each is next free."""

    queue: str
    agents: list[str] = field(default_factory=list)
    free_at: dict[str, datetime] = field(default_factory=dict)
    staffed: list[int] = field(default_factory=list)  # agents on shift per slot today
    rotation: int = 0

    def on_shift(self, slot: int) -> list[str]:
        count = self.staffed[slot] if slot < len(self.staffed) else 0
        while len(self.agents) < max(3, math.ceil(count * 1.6)):  # shifts: more people than seats
            self.agents.append(f"A-{AGENT_SERIES[self.queue] + len(self.agents) + 1}")
        size = len(self.agents)
        return [self.agents[(self.rotation + i) % size] for i in range(count)]


def open_hours(day: date) -> tuple[int, int]:
    """Opening and closing hour of the centre on ``day``."""
    return OPEN_HOURS[day.weekday()]


def slot_weights(day: date) -> list[float]:
    """Share of the day's calls in each half hour: a morning peak, an afternoon one."""
    opens, closes = open_hours(day)
    weights = []
    for slot in range(48):
        hour = (slot + 0.5) / 2
        if not opens <= hour < closes:
            weights.append(0.0)
            continue
        bumps = math.exp(-(((hour - 10.5) / 1.5) ** 2)) + 0.75 * math.exp(
            -(((hour - 14.5) / 1.7) ** 2)
        )
        weights.append(0.15 + bumps + 0.25 * math.exp(-(((hour - 18.5) / 1.0) ** 2)))
    total = sum(weights)
    return [weight / total for weight in weights]


def expected_calls(run: Run, day: date) -> float:
    """Spontaneous calls expected on ``day``: yearly rate by weekday and season."""
    weekday = WEEKDAY_LOAD[day.weekday()] / (sum(WEEKDAY_LOAD) / 7)
    season = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 10) / 365.25)
    return run.yearly_calls() / 365 * weekday * season


def on_shift(seats: float) -> int:
    """Agents to put on shift for ``seats`` of work: one alone cannot cover a busy half hour
    (a long call would leave every caller behind it waiting), so two from 0.4 on."""
    return max(1, math.ceil(seats - 0.2), 2 if seats > 0.4 else 1)


def poisson(run: Run, mean: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if mean > 40:
        return max(0, round(run.rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, run.rng.random()
    while product > limit:
        count += 1
        product *= run.rng.random()
    return count


class Centre:
    """The contact centre: one team per queue, staffed day by day."""

    def __init__(self, run: Run) -> None:
        self.run = run
        # In a fixed order (never a set's, which changes with the hash seed): each team draws
        # from the random generator in turn, and the history must not depend on the process.
        self.teams = {queue: Team(queue) for queue in QUEUES}

    def open_day(self, day: date) -> None:
        """Staff today's teams and schedule today's spontaneous calls."""
        weights = slot_weights(day)
        expected = expected_calls(self.run, day)
        for team in self.teams.values():
            self._staff(team, day, weights, expected)
        count = poisson(self.run, expected)
        slots = self.run.rng.choices(range(48), weights=weights, k=count)
        for customer, slot in zip(self.run.callers(count), slots, strict=False):
            at = self.run.moment(day, (slot + self.run.rng.random()) * SLOT)
            reason = self.run.rng.choices(_SPONTANEOUS, weights=[r.weight for r in _SPONTANEOUS])
            self.call_at(at, CallRequest(customer, reason[0]))

    def _staff(self, team: Team, day: date, weights: list[float], expected: float) -> None:
        mine = sum(r.weight for r in _SPONTANEOUS if r.queue == team.queue)
        share = mine / sum(r.weight for r in _SPONTANEOUS)
        handle = _mean_handle(team.queue)
        lean = self.run.rng.uniform(0.72, 1.08) * (0.85 if day.weekday() == 0 else 1.0)
        load = expected * share * handle * RETURNING / SLOT / TARGET_OCCUPANCY * lean
        team.staffed = [0 if w == 0 else on_shift(load * w) for w in weights]
        team.rotation = day.toordinal() * 2 + day.weekday()

    def call_at(self, at: datetime, request: CallRequest) -> None:
        """The customer calls at ``at`` (moved to the next opening time if closed)."""
        at = next_open(at, self.run)
        self.run.clock.at(at, lambda: self.offer(at, request))

    def offer(self, at: datetime, request: CallRequest) -> None:
        """The call reaches its queue: answered by the agent free soonest, or abandoned."""
        team = self.teams[request.reason.queue]
        slot = (at.hour * 3600 + at.minute * 60 + at.second) // SLOT
        agents = team.on_shift(slot) or team.on_shift(_last_open_slot(team))
        agent = min(agents, key=lambda a: team.free_at.get(a, at))
        start = max(at, team.free_at.get(agent, at))
        wait = int((start - at).total_seconds())
        patience = self.run.rng.expovariate(1 / request.customer.patience)
        if wait > patience:
            self._abandoned(at, request, int(patience))
            return
        handling = _handling(self.run, request.reason)
        team.free_at[agent] = start + timedelta(seconds=sum(handling))
        self._answered(at, request, agent, wait, handling)

    def _abandoned(self, at: datetime, request: CallRequest, wait: int) -> None:
        customer, run = request.customer, self.run
        run.clock.emit(_call(run, at, request, agent=None, wait=wait))
        customer.abandoned_at = at
        if run.rng.random() < 0.72:  # most try again soon
            later = at + timedelta(minutes=run.rng.uniform(3, 120))
            self.call_at(later, CallRequest(customer, request.reason, request.repeat_of))

    def _answered(
        self, at: datetime, request: CallRequest, agent: str, wait: int, handling: Handling
    ) -> None:
        run, customer, reason = self.run, request.customer, request.reason
        transferred = run.rng.random() < (0.16 if reason.code == "complaint" else 0.06)
        resolved = run.rng.random() < reason.resolved * (0.7 if transferred else 1.0)
        previous = customer.answered.get(reason.code)
        command = _call(
            run, at, request, agent=agent, wait=wait, handling=handling, resolved=resolved,
            transferred=transferred,
        )  # fmt: skip
        run.clock.emit(command)
        customer.answered[reason.code] = at
        experience = surveys.CallExperience(
            call_id=command.source_id,
            reason=reason.code,
            wait=wait,
            handled=sum(handling),
            resolved=resolved,
            transferred=transferred,
            repeat=previous is not None and at - previous <= 7 * _DAY,
            gave_up_before=customer.abandoned_at is not None and at - customer.abandoned_at < _DAY,
        )
        self._afterwards(at, request, command, experience)

    def _afterwards(
        self, at: datetime, request: CallRequest, call: RecordCall, seen: surveys.CallExperience
    ) -> None:
        run = self.run
        comes_back = 0.62 if not seen.resolved else 0.04
        if run.rng.random() < comes_back:
            later = at + timedelta(hours=run.rng.uniform(3, 6 * 24))
            self.call_at(later, CallRequest(request.customer, request.reason, call.source_id))
        if run.rng.random() < 0.3 * 0.38 and not request.customer.story:  # invited, replies
            surveys.after_call(run, request.customer, seen, at + _survey_delay(run), self)
        if run.rng.random() < 0.004:
            run.clock.at(at + timedelta(hours=2), lambda: _correct(run, call))

    def callback(self, at: datetime, customer: Customer) -> None:
        """An outbound call to a detractor (closing the loop): answered, no wait."""
        at = next_open(at, self.run)
        request = CallRequest(customer, REASON["detractor-callback"])

        def ring() -> None:
            team = self.teams["care"]
            agent = team.agents[0] if team.agents else f"A-{AGENT_SERIES['care'] + 1}"
            handling = _handling(self.run, request.reason)
            resolved = self.run.rng.random() < 0.85
            command = _call(
                self.run, at, request, agent=agent, wait=0, handling=handling, resolved=resolved
            )
            self.run.clock.emit(command)

        self.run.clock.at(at, ring)


class Handling(NamedTuple):
    """Seconds of an answered call, by phase."""

    talk: int
    hold: int
    after_call_work: int


def _call(
    run: Run,
    at: datetime,
    request: CallRequest,
    *,
    agent: str | None,
    wait: int,
    handling: Handling | None = None,
    resolved: bool = False,
    transferred: bool = False,
) -> RecordCall:
    """The call as recorded: answered if it was handled, else abandoned."""
    return RecordCall(
        occurred_at=at,
        offered_at=at,
        source=SOURCE_ACD,
        source_id=run.next_id("call"),
        customer_ref=request.customer.ref,
        queue=request.reason.queue,
        agent_id=agent,
        reason=request.reason.code,
        wait_seconds=wait,
        outcome="abandoned" if handling is None else "answered",
        talk_seconds=handling.talk if handling else 0,
        hold_seconds=handling.hold if handling else 0,
        after_call_work_seconds=handling.after_call_work if handling else 0,
        resolved=resolved,
        transferred=transferred,
    )


def _handling(run: Run, reason: Reason) -> Handling:
    """Talk, hold and after-call work seconds: log-normal, so a long tail of long calls."""
    rng = run.rng
    talk = max(20, int(rng.lognormvariate(math.log(reason.median_talk), 0.55)))
    hold = int(rng.lognormvariate(math.log(50), 0.7)) if rng.random() < 0.28 else 0
    acw = max(5, int(rng.lognormvariate(math.log(35), 0.5)))
    return Handling(talk, hold, acw)


def _mean_handle(queue: str) -> float:
    reasons = [r for r in _SPONTANEOUS if r.queue == queue] or [
        r for r in REASONS if r.queue == queue
    ]
    weights = [max(r.weight, 1) for r in reasons]
    talk = sum(
        w * r.median_talk * math.exp(0.55**2 / 2) for w, r in zip(weights, reasons, strict=True)
    )
    return talk / sum(weights) + 0.28 * 50 * math.exp(0.7**2 / 2) + 35 * math.exp(0.5**2 / 2)


def _last_open_slot(team: Team) -> int:
    staffed = [i for i, count in enumerate(team.staffed) if count]
    return staffed[-1] if staffed else 0


def _survey_delay(run: Run) -> timedelta:
    return timedelta(minutes=max(20.0, run.rng.lognormvariate(math.log(180), 0.9)))


def next_open(at: datetime, run: Run) -> datetime:
    """``at`` if the centre is open then, else a few minutes after it next opens."""
    for _ in range(8):
        opens, closes = open_hours(at.date())
        if opens <= at.hour < closes:
            return at
        day = at.date() if at.hour < opens else at.date() + timedelta(days=1)
        first, _closing = open_hours(day)
        at = run.moment(day, first * 3600 + run.rng.uniform(0, 5400))
    return at


def _correct(run: Run, call: RecordCall) -> None:
    """A supervisor recategorises a call's reason (a correction, not an edit)."""
    others = [r.code for r in REASONS if r.queue == call.queue and r.code != call.reason]
    if not others:
        return
    run.clock.emit(
        CorrectCall(
            occurred_at=run.clock.now or call.occurred_at,
            source="qa",
            source_id=f"fix-{call.source_id}",
            customer_ref=call.customer_ref,
            call=Ref(source=call.source, source_id=call.source_id),
            reason=run.rng.choice(others),
        )
    )
