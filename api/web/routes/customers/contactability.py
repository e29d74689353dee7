"""May this customer be contacted with marketing now, on this channel? (agents, integrators)

``GET /customers/{ref}/contactability?channel=&at=`` reads what the contact policy needs
from the single customer view (``projections.customer.contactability``) and asks the policy
in force at ``at`` (``domain.policy``): allowed, or every rule that blocks, in plain words,
with the fact that triggered it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.web.deps import ContactAsker, ServicesDep
from api.web.problems import problem_responses
from api.web.reading import ProblemRoute, not_found, wait_for_view
from api.web.routes.centre.contact_policy import policy_in_force
from api.web.schemas.params import CustomerRef, MinPosition, ReferenceTime
from domain.commands import Channel
from domain.policy import Block, Kind, Rule, evaluate
from projections.customer.contactability import history, horizon
from projections.tracking import snapshot

__all__ = ["BlockingRule", "Contactability", "blocking_rule", "router"]

VIEW = "customer"
_ON_TIMELINE = {"call", "mailshot", "survey"}


class TriggeringFact(BaseModel):
    """The fact that made a rule block."""

    kind: Kind = Field(description="call, mailshot, survey, consent or erasure")
    occurred_at: datetime
    position: int | None = Field(description="Its log position (null: not kept by the view).")
    on_timeline: bool = Field(
        description="Whether it is an item of the customer's timeline (found by `position`)."
    )
    log_link: str | None = Field(description="The fact in the log (role auditor).")


class BlockingRule(BaseModel):
    """A rule of the policy that blocks, in plain words."""

    rule: Rule
    sentence: str
    fact: TriggeringFact | None = Field(description="Null when no fact triggered it.")
    clears_at: datetime | None = Field(
        description="First instant the rule stops blocking if nothing else happens "
        "(null: only a new fact clears it, or never)."
    )


_EXAMPLE: dict[str, Any] = {
    "customer_ref": "C-1001",
    "channel": "sms",
    "at": "2026-03-11T09:00:00Z",
    "allowed": False,
    "blocked_by": [
        {
            "rule": "complaint",
            "sentence": "complaint on 2026-03-10: no marketing until 2026-04-09",
            "fact": {
                "kind": "call",
                "occurred_at": "2026-03-10T15:12:00Z",
                "position": 9120,
                "on_timeline": True,
                "log_link": "/log?after=9119&limit=1",
            },
            "clears_at": "2026-04-09T15:12:00Z",
        }
    ],
    "policy_position": None,
}


class Contactability(BaseModel):
    """The policy's answer for one customer, channel and instant."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    customer_ref: str
    channel: Channel
    at: datetime
    allowed: bool
    blocked_by: list[BlockingRule]
    policy_position: int | None = Field(
        description="Log position of the policy applied (null: the default policy)."
    )


def blocking_rule(block: Block) -> BlockingRule:
    trigger = block.trigger
    fact = None
    if trigger is not None:
        position = trigger.position
        fact = TriggeringFact(
            kind=trigger.kind,
            occurred_at=trigger.occurred_at,
            position=position,
            on_timeline=trigger.kind in _ON_TIMELINE,
            log_link=None if position is None else f"/log?after={position - 1}&limit=1",
        )
    return BlockingRule(
        rule=block.rule, sentence=block.sentence, fact=fact, clears_at=block.clears_at
    )


def get_contactability(
    principal: ContactAsker,
    services: ServicesDep,
    *,
    ref: CustomerRef,
    channel: Annotated[Channel, Query(description="post, email, sms or phone.")],
    at: Annotated[
        ReferenceTime | None,
        Query(description="The instant asked about (default now); the policy in force then."),
    ] = None,
    min_position: MinPosition = None,
) -> Contactability:
    """Whether the customer may be contacted with marketing on ``channel`` at ``at``."""
    at = at or services.ledger.clock()
    policy = policy_in_force(services, at=at)
    loop = timedelta(hours=services.view_config.closed_loop_hours)
    wait_for_view(services, VIEW, min_position)
    with snapshot(services.key_pool) as conn:
        facts = history(conn, ref, at, horizon(policy, loop))
    if facts is None:
        raise not_found("customer-not-found", "no fact names this customer")
    decision = evaluate(policy, facts, channel, at, loop)
    return Contactability(
        customer_ref=ref,
        channel=channel,
        at=at,
        allowed=decision.allowed,
        blocked_by=[blocking_rule(block) for block in decision.blocks],
        policy_position=policy.position,
    )


def router() -> APIRouter:
    """``GET /customers/{ref}/contactability`` (agent, integrator)."""
    routes = APIRouter(route_class=ProblemRoute, tags=["agents"])
    routes.add_api_route(
        "/customers/{ref}/contactability",
        get_contactability,
        methods=["GET"],
        response_model=Contactability,
        summary="May the customer be contacted with marketing on a channel?",
        description="Allowed, or every rule of the contact policy that blocks, with the "
        "fact that triggered it. Roles: agent, integrator.",
        responses=problem_responses(401, 403, 404, 422, 503),
        operation_id="get_contactability",
    )
    return routes
