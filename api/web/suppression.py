"""Suppression for a campaign: which recipients of a list the contact policy lets through.

For a list of customer references, chunk by chunk: the histories are read from the customer
view with three set-based statements per chunk (``projections.customer.contactability.
histories``), each customer is decided by the one policy function (``domain.policy.
evaluate``, the same as ``GET /customers/{ref}/contactability``), and every suppressed
recipient is recorded as a ``ContactSuppressed`` fact (one transaction per chunk) naming the
rules that blocked, so the log says why a customer was not contacted. Used by
``POST /campaigns/{id}/suppression`` (streamed NDJSON) and ``touchpoint suppress``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from uuid import uuid4

from api.bootstrap import Services
from api.web.routes.centre.contact_policy import policy_in_force
from domain import commands as c
from domain.ids import OWN_SOURCE, campaign_stream_id
from domain.policy import Decision, History, evaluate
from projections.customer.contactability import histories, horizon
from projections.tracking import snapshot

__all__ = ["CHUNK", "Run", "Verdict", "campaign_channel", "suppress"]

CHUNK = 10_000  # customers per read and per recording transaction


@dataclass(frozen=True)
class Verdict:
    """One recipient: send, or suppress with the rules that blocked (``known``: some fact
    names the customer; an unknown one has no consent recorded, so is suppressed)."""

    customer_ref: str
    known: bool
    decision: Decision

    @property
    def send(self) -> bool:
        return self.decision.allowed


@dataclass(frozen=True)
class Run:
    """One suppression run: its campaign, channel, instant and the policy applied."""

    campaign_id: str
    channel: c.Channel
    at: datetime
    author: str
    record: bool = True
    run_id: str = field(default_factory=lambda: uuid4().hex)

    def source_id(self, ref: str) -> str:
        return f"suppression-{self.run_id}/{ref}"


def campaign_channel(services: Services, campaign_id: str) -> c.Channel | None:
    """The channel the campaign was planned on; ``None`` if it was never planned."""
    for logged in services.ledger.read_stream(campaign_stream_id(campaign_id)):
        channel = getattr(logged.fact, "channel", None)
        if channel is not None:
            return channel  # type: ignore[no-any-return]  # a CampaignPlanned's channel
    return None


def suppress(services: Services, run: Run, refs: Iterable[str]) -> Iterator[list[Verdict]]:
    """The verdicts of ``refs``, one list per chunk, each chunk's suppressions recorded
    (unless ``run.record`` is false) before it is yielded."""
    policy = policy_in_force(services, at=run.at)
    loop = timedelta(hours=services.view_config.closed_loop_hours)
    since = horizon(policy, loop)
    for chunk in _chunks(refs):
        with snapshot(services.key_pool) as conn:
            found = histories(conn, chunk, run.at, since)
        verdicts = [
            Verdict(
                ref,
                ref in found,
                evaluate(policy, found.get(ref, History()), run.channel, run.at, loop),
            )
            for ref in chunk
        ]
        if run.record:
            _record(services, run, verdicts, policy.position)
        yield verdicts


def _chunks(refs: Iterable[str]) -> Iterator[list[str]]:
    it = iter(refs)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def _record(
    services: Services, run: Run, verdicts: list[Verdict], policy_position: int | None
) -> None:
    commands = [
        c.RecordContactSuppressed(
            occurred_at=services.ledger.clock(),
            source=OWN_SOURCE,
            source_id=run.source_id(v.customer_ref),
            customer_ref=v.customer_ref,
            campaign_id=run.campaign_id,
            channel=run.channel,
            at=run.at,
            rules=[block.rule for block in v.decision.blocks],
            policy_position=policy_position,
        )
        for v in verdicts
        if not v.send
    ]
    for outcome in services.ledger.record_batch(commands, run.author) if commands else ():
        if outcome.error is not None:  # none expected: the facts are made here
            raise outcome.error
