"""A realistic, seeded demo history, and loading it through the ledger.

``generate_days(config)`` is a pure function of its configuration: it yields, day
by day, the commands a retail bank's contact centre would have recorded — its list of
call reasons, customers and their consent, inbound calls through queues and agents,
campaigns by post, e-mail and SMS with control groups, fraud alerts, survey replies —
ending with the storyline (``api.demo.story``). The same configuration gives the same commands.
``load`` records them with ``Ledger.record_batch``, in batches, idempotently.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta

from api.demo import campaigns as demo_campaigns
from api.demo import story as demo_story
from api.demo.calls import Centre, poisson
from api.demo.mailshots import fraud_alert
from api.demo.sim import Clock
from api.demo.state import DemoConfig, Run
from api.demo.surveys import relationship_wave
from api.demo.world import Customer, join_time, make_customer
from api.importers.report import ImportReport
from domain import commands as c
from domain.ids import OWN_SOURCE
from domain.ledger import Ledger
from domain.reasons import STARTER

__all__ = ["DemoConfig", "call_reasons", "generate", "generate_days", "load"]
NEWCOMERS = 0.08  # share of customers who join during the history
FRAUD_ALERTS_A_MONTH = 0.0025  # per customer
DETAIL_CHANGES_A_YEAR = 0.03  # per customer


def generate_days(config: DemoConfig) -> Iterator[tuple[date, list[c.Command]]]:
    """``(day, commands)`` in time order: first everything before the history
    (registrations, the fraud-alert campaign), then each day of the history."""
    run = Run(config, random.Random(config.seed), Clock())
    centre = Centre(run)
    before = config.start_at - timedelta(days=1)
    run.clock.at(before, lambda: run.clock.emit(call_reasons(before)))
    _populate(run)
    demo_campaigns.schedule(run, centre, demo_campaigns.plan(run))
    yield config.start - timedelta(days=1), run.clock.run_until(config.start)
    for offset in range(config.days):
        day = config.start + timedelta(days=offset)
        yield day, run.clock.run_day(day, opening=_opening(run, centre, day))


def generate(config: DemoConfig) -> Iterator[c.Command]:
    """Every command of the history, in time order."""
    for _, commands in generate_days(config):
        yield from commands


def call_reasons(at: datetime) -> c.PublishCallReasons:
    """The centre's list of call reasons, as its admin published it before the history:
    the demo's reasons (``domain.reasons.STARTER``), agents held to them."""
    return c.PublishCallReasons(
        occurred_at=at,
        source=OWN_SOURCE,
        source_id="demo-call-reasons",
        reasons=[c.CallReason(code=code, label=label) for code, label in STARTER.reasons],
        free_text_allowed=False,
    )


def _populate(run: Run) -> None:
    """Invent the customers and schedule their registrations (the storyline's too)."""
    config, story = run.config, demo_story.story_index(run.config.customers)
    for index in range(1, config.customers + 1):
        newcomer = index != story and run.rng.random() < NEWCOMERS
        since = join_time(run.rng, config.start_at, config.end_at, newcomer)
        customer = make_customer(run.rng, index, config.customers, since, run.phones.next())
        if index == story:
            demo_story.cast(customer)
            demo_story.schedule(run, customer)
        run.clock.at(since, _registration(run, customer))


def _registration(run: Run, customer: Customer) -> Callable[[], None]:
    def register() -> None:
        at, mine = customer.since, {"source": "crm", "customer_ref": customer.ref}
        run.clock.emit(
            c.RegisterCustomer(
                occurred_at=at, source_id=f"reg-{customer.ref}", name=customer.name,
                email=customer.email, phone=customer.phone, segment=customer.segment, **mine,
            )
        )  # fmt: skip
        for channel, granted in customer.consent.items():
            if granted != (channel == "post"):  # opt-in for e-mail and SMS, opt-out for post
                run.clock.emit(
                    c.ChangeMarketingConsent(
                        occurred_at=at + timedelta(seconds=1), source_id=f"consent-{channel}-"
                        f"{customer.ref}", channel=channel, granted=granted, **mine,
                    )
                )  # fmt: skip
        run.join(customer)

    return register


def _opening(run: Run, centre: Centre, day: date) -> Callable[[], None]:
    def open_day() -> None:
        centre.open_day(day)
        for customer in _some(run, FRAUD_ALERTS_A_MONTH / 30.4):
            at = run.moment(day, run.rng.uniform(7, 22) * 3600)
            run.clock.at(at, _alert(run, centre, customer, at))
        for customer in _some(run, DETAIL_CHANGES_A_YEAR / 365):
            at = run.moment(day, run.rng.uniform(8, 21) * 3600)
            run.clock.at(at, _new_details(run, customer, at))
        if day.month in (1, 4, 7, 10) and day.weekday() == 1 and day.day <= 7:
            relationship_wave(run, day)

    return open_day


def _some(run: Run, rate: float) -> list[Customer]:
    """Customers picked at ``rate`` each (never the storyline's, whose day is scripted)."""
    count = poisson(run, len(run.customers) * rate)
    picked = [run.rng.choice(run.customers) for _ in range(count)] if run.customers else []
    return [customer for customer in picked if not customer.story]


def _alert(run: Run, centre: Centre, customer: Customer, at: datetime) -> Callable[[], None]:
    return lambda: fraud_alert(run, centre, customer, at)


def _new_details(run: Run, customer: Customer, at: datetime) -> Callable[[], None]:
    def change() -> None:
        customer.phone = run.phones.next()  # a number nobody else was given
        run.clock.emit(
            c.ChangeContactDetails(
                occurred_at=at, source="crm", source_id=run.next_id("details"),
                customer_ref=customer.ref, phone=customer.phone,
            )
        )  # fmt: skip

    return change


# --- loading ---------------------------------------------------------------------


def load(
    ledger: Ledger,
    days: Iterable[tuple[date, list[c.Command]]],
    author: str = "demo",
    batch_size: int = 1000,
    on_day: Callable[[date, ImportReport], None] = lambda day, report: None,
    *,
    skip: int = 0,
    on_batch: Callable[[int], None] = lambda handed: None,
) -> ImportReport:
    """Record every day's commands in batches of about ``batch_size`` (one transaction each).

    ``skip``: the first commands of the history are already in the log (an earlier,
    interrupted load) and are not handed to the ledger again; ``on_batch`` is told,
    after each batch, how many commands of the history have been handed in all.
    """
    report, batch, passed = ImportReport(), [], 0
    for day, commands in days:
        kept = commands[max(0, skip - passed) :]
        passed += len(commands)
        batch.extend(kept)
        while len(batch) >= batch_size:
            _record(ledger, batch[:batch_size], author, report)
            del batch[:batch_size]
            on_batch(skip + report.facts)
        on_day(day, report)
    _record(ledger, batch, author, report)
    on_batch(skip + report.facts)
    return report


def _record(ledger: Ledger, batch: list[c.Command], author: str, report: ImportReport) -> None:
    if not batch:
        return
    first = report.facts + 1  # facts are numbered in the order generated
    outcomes = ledger.record_batch(batch, author)
    for number, (command, outcome) in enumerate(zip(batch, outcomes, strict=True), first):
        if outcome.error is None:
            report.count(number, outcome)
        else:
            report.refuse(number, f"{type(command).KIND} {command.source_id}: {outcome.error}")
