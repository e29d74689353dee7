"""Survey replies whose scores follow the experience.

A reply's NPS comes from a latent score: the customer's own disposition, minus what
went wrong — a long wait, having given up on an earlier try, a repeat call, an
unresolved or transferred call, a very long call — and minus the mailshot pressure
at reply time (the mailshots of the last 30 days). CSAT and effort follow the same
experience. Some detractors are called back within two days (the closed loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from api.demo.state import Run
from api.demo.world import SOURCE_ACD, SOURCE_CRM, SOURCE_SURVEYS, Customer
from domain.commands import InteractionRef, RecordSurveyReply

_PRAISE = (
    "Quick and friendly, sorted first time.",
    "The agent knew exactly what to do.",
    "Very helpful, thank you.",
    "Easy, no fuss.",
)
_QUARTER = timedelta(days=91)
_COMPLAINTS = (
    "Waited far too long to get through.",
    "Had to call again about the same thing.",
    "Too many marketing messages lately.",
    "Passed from one person to another.",
    "Still not fixed.",
)


class Callback(Protocol):
    """Something that can call a customer back (the centre)."""

    def callback(self, at: datetime, customer: Customer) -> None: ...


@dataclass(frozen=True)
class CallExperience:
    """What a caller went through on one answered call."""

    call_id: str
    reason: str
    wait: int
    handled: int  # talk + hold + after-call work, seconds
    resolved: bool
    transferred: bool
    repeat: bool
    gave_up_before: bool  # abandoned an earlier attempt within a day


def pressure_penalty(mailshots: int) -> float:
    """How much mailshot pressure lowers the latent score (bands of METRICS.md)."""
    if mailshots >= 5:
        return 1.9
    return (0.0, 0.0, 0.25, 0.8, 0.8)[mailshots]


def call_score(seen: CallExperience, mood: float, pressure: int) -> float:
    """The latent 0-10 score of a call, before noise."""
    minutes = seen.handled / 60
    long_call = 1.2 if minutes > 10 else 0.5 if minutes > 6 else 0.1 if minutes >= 3 else 0.0
    return (
        9.4
        + 1.1 * mood
        - min(3.0, max(0, seen.wait - 30) / 80)
        - (0.9 if seen.gave_up_before else 0.0)
        - (1.8 if seen.repeat else 0.0)
        - (2.2 if not seen.resolved else 0.0)
        - (0.9 if seen.transferred else 0.0)
        - long_call
        - pressure_penalty(pressure)
    )


def nps_of(latent: float) -> int:
    return min(10, max(0, round(latent)))


def csat_of(latent: float) -> int:
    return min(5, max(1, round(1 + (latent - 2) / 2)))


def effort_of(seen: CallExperience, noise: float) -> int:
    """1-7, high = easy: waits, transfers, repeats and loose ends make it harder."""
    easy = 6.2 - min(2.0, seen.wait / 150) - 1.4 * seen.transferred - 1.6 * seen.repeat
    return min(7, max(1, round(easy - (0.0 if seen.resolved else 1.0) + noise)))


def after_call(
    run: Run, customer: Customer, seen: CallExperience, at: datetime, centre: Callback
) -> None:
    """Schedule the reply to a post-call survey (scored when it is given)."""

    def reply() -> None:
        now = run.clock.now or at
        latent = call_score(seen, customer.mood, customer.pressure(now)) + run.rng.gauss(0, 1.2)
        about = InteractionRef(kind="call", source=SOURCE_ACD, source_id=seen.call_id)
        effort = effort_of(seen, run.rng.gauss(0, 0.8)) if run.rng.random() < 0.7 else None
        csat = csat_of(latent) if run.rng.random() < 0.85 else None
        _emit(run, customer, now, latent, about=about, csat=csat, effort=effort)
        if nps_of(latent) <= 6 and run.rng.random() < 0.55:
            centre.callback(now + timedelta(hours=run.rng.uniform(1, 40)), customer)

    run.clock.at(at, reply)


def after_mailshot(run: Run, customer: Customer, mailshot_id: str, at: datetime) -> None:
    """Schedule a reply to a survey about a mailshot the customer responded to."""

    def reply() -> None:
        now = run.clock.now or at
        latent = 7.9 + customer.mood - pressure_penalty(customer.pressure(now))
        latent += run.rng.gauss(0, 1.3)
        about = InteractionRef(kind="mailshot", source=SOURCE_CRM, source_id=mailshot_id)
        _emit(run, customer, now, latent, about=about, csat=csat_of(latent))

    run.clock.at(at, reply)


def relationship_wave(run: Run, day: date) -> None:
    """A quarterly relationship survey: a sample of customers reply over ten days."""
    for customer in run.customers:
        if customer.story or run.rng.random() >= 0.05 * 0.3:
            continue
        at = run.moment(day, run.rng.uniform(8, 22) * 3600)
        at += timedelta(days=int(run.rng.expovariate(1 / 2.5)) % 10)
        run.clock.at(at, _relationship_reply(run, customer, at))


def _relationship_reply(run: Run, customer: Customer, at: datetime) -> Callable[[], None]:
    def reply() -> None:
        now = run.clock.now or at
        latent = 7.4 + 1.2 * customer.mood - pressure_penalty(customer.pressure(now))
        latent -= 0.7 * sum(1 for seen in customer.answered.values() if now - seen < _QUARTER)
        _emit(run, customer, now, latent + run.rng.gauss(0, 1.3), kind="relationship")

    return reply


def _emit(
    run: Run,
    customer: Customer,
    at: datetime,
    latent: float,
    *,
    kind: Literal["transactional", "relationship"] = "transactional",
    about: InteractionRef | None = None,
    csat: int | None = None,
    effort: int | None = None,
) -> None:
    nps = nps_of(latent)
    run.clock.emit(
        RecordSurveyReply(
            occurred_at=at,
            source=SOURCE_SURVEYS,
            source_id=run.next_id("resp"),
            customer_ref=customer.ref,
            survey_kind=kind,
            nps=nps,
            csat=csat,
            effort=effort,
            comment=_comment(run, nps),
            about=about,
        )
    )


def _comment(run: Run, nps: int) -> str | None:
    if run.rng.random() > 0.25:
        return None
    return run.rng.choice(_PRAISE if nps >= 9 else _COMPLAINTS if nps <= 6 else _PRAISE[2:])
