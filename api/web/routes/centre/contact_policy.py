"""The centre's contact policy: read by desktops, integrators and analysts, published by admins.

``PUT /contact-policy`` records a ``ContactPolicyPublished`` fact: the policy is never
edited in place, each publication is a new fact in the log, and the one in force is the
latest (``GET /contact-policy``; ``?at_position=`` gives the one in force at a past point,
to explain a past decision). Until a policy is published, the default
(``domain.policy.default_policy``: the pressure-cap setting, 14 quiet days after an
unresolved call or a detractor reply, 30 after a complaint) is in force.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap import Services
from api.web.bodies import JsonBodyRoute
from api.web.deps import Admin, LedgerDep, PolicyReader, ServicesDep
from api.web.problems import problem_responses
from api.web.routes.recording import Recorded, record
from domain import commands as c
from domain.ids import OWN_SOURCE, contact_policy_stream_id
from domain.policy import ContactPolicy, default_policy, in_force

__all__ = ["ContactPolicyBody", "ContactPolicyInForce", "policy_in_force", "router"]

_EXAMPLE: dict[str, Any] = {
    "pressure_cap": 4,
    "unresolved_call_quiet_days": 14,
    "detractor_quiet_days": 14,
    "complaint_quiet_days": 30,
    "complaint_reasons": ["complaint"],
}
_QUIET = "Days without marketing after {}; 0 switches the rule off (at most 3650)."


class ContactPolicyBody(BaseModel):
    """A new contact policy: it replaces the one in force."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    pressure_cap: int = Field(
        ge=0, le=1000, strict=True, description="Mailshots per 30 days; at the cap, no more."
    )
    unresolved_call_quiet_days: int = Field(
        ge=0, le=c.MAX_QUIET_DAYS, strict=True, description=_QUIET.format("an unresolved call")
    )
    detractor_quiet_days: int = Field(
        ge=0,
        le=c.MAX_QUIET_DAYS,
        strict=True,
        description=_QUIET.format("a detractor reply left open or expired without follow-up"),
    )
    complaint_quiet_days: int = Field(
        ge=0,
        le=c.MAX_QUIET_DAYS,
        strict=True,
        description=_QUIET.format("a call whose reason is a complaint reason"),
    )
    complaint_reasons: list[c.ReasonCode] = Field(
        max_length=c.MAX_REASONS, description="Call reason codes that count as complaints."
    )


class ContactPolicyInForce(ContactPolicyBody):
    """The policy in force; ``position`` of the fact that published it (None: the default)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [_EXAMPLE | {"position": 9120}]}
    )

    position: int | None = Field(
        description="Log position of the publication; null while the default is in force."
    )
    published_at: datetime | None = Field(description="When it was published; null: default.")


def policy_in_force(
    services: Services, at_position: int | None = None, at: datetime | None = None
) -> ContactPolicy:
    """The policy in force just after log position ``at_position`` (or at time ``at``).

    One stream read: policies are published rarely (an admin's edit), so the stream stays
    short and needs no view of its own.
    """
    stream = services.ledger.read_stream(contact_policy_stream_id())
    if at_position is not None:
        stream = [logged for logged in stream if logged.position <= at_position]
    return in_force(stream, default_policy(services.view_config.pressure_cap), at)


def read_policy(
    principal: PolicyReader,
    services: ServicesDep,
    at_position: Annotated[
        int | None, Query(ge=0, description="The policy in force just after this log position.")
    ] = None,
) -> ContactPolicyInForce:
    """The centre's contact policy in force."""
    policy = policy_in_force(services, at_position)
    return ContactPolicyInForce(
        pressure_cap=policy.pressure_cap,
        unresolved_call_quiet_days=policy.unresolved_call_quiet_days,
        detractor_quiet_days=policy.detractor_quiet_days,
        complaint_quiet_days=policy.complaint_quiet_days,
        complaint_reasons=list(policy.complaint_reasons),
        position=policy.position,
        published_at=policy.published_at,
    )


def publish_policy(
    principal: Admin,
    ledger: LedgerDep,
    response: Response,
    body: Annotated[
        ContactPolicyBody,
        Body(openapi_examples={"policy": {"summary": "The default", "value": _EXAMPLE}}),
    ],
) -> Recorded:
    """Record ``body`` as the policy in force from now on."""
    command = c.PublishContactPolicy(
        occurred_at=ledger.clock(),
        source=OWN_SOURCE,
        source_id=f"contact-policy-{uuid4()}",  # every publication is a new fact
        **body.model_dump(),
    )
    return record(ledger, command, principal, response)


def router() -> APIRouter:
    """``GET /contact-policy`` (agent, analyst, integrator, admin), ``PUT`` (admin)."""
    routes = APIRouter(route_class=JsonBodyRoute, tags=["agents", "admins"])
    routes.add_api_route(
        "/contact-policy",
        read_policy,
        methods=["GET"],
        response_model=ContactPolicyInForce,
        summary="The centre's contact policy",
        description="The policy in force (the latest published, else the default). "
        "Roles: agent, analyst, integrator, admin.",
        responses=problem_responses(401, 403, 422, 503),
        operation_id="read_contact_policy",
    )
    routes.add_api_route(
        "/contact-policy",
        publish_policy,
        methods=["PUT"],
        status_code=HTTPStatus.CREATED,
        response_model=Recorded,
        summary="Publish the centre's contact policy",
        description="Records a `ContactPolicyPublished` fact that replaces the policy in "
        "force. Complaint reasons: lowercase slugs, unique. Role: admin.",
        responses=problem_responses(401, 403, 413, 422, 503),
        operation_id="publish_contact_policy",
    )
    return routes
