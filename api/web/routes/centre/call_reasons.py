"""The centre's call reasons: read by desktops and analysts, published by admins.

``PUT /call-reasons`` records a ``CallReasonsPublished`` fact: the list is never
edited in place, each publication is a new fact in the log, and the one in force
is the latest (``GET /call-reasons``; ``?at_position=`` gives the one in force at a
past point, to explain a refusal). Until a list is published, the starter list
(``domain.reasons.STARTER``, the demo bank's reasons, free text allowed) is in force.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.web.bodies import JsonBodyRoute
from api.web.deps import Admin, LedgerDep, ReasonReader
from api.web.problems import problem_responses
from api.web.routes.recording import Recorded, record
from api.web.wrap_up import reasons_in_force
from domain import commands as c
from domain.ids import OWN_SOURCE
from domain.reasons import ReasonList

__all__ = ["CallReasons", "CallReasonsBody", "router"]

_EXAMPLE: dict[str, Any] = {
    "reasons": [
        {"code": "card-lost", "label": "Card lost or stolen"},
        {"code": "balance-query", "label": "Balance query"},
    ],
    "free_text_allowed": False,
}


class CallReasonsBody(BaseModel):
    """A new list of call reasons: it replaces the one in force."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    reasons: list[c.CallReason] = Field(
        max_length=c.MAX_REASONS, description="At most 200; codes unique."
    )
    free_text_allowed: c.Flag = Field(
        description="Whether agents may record a reason that is not on the list."
    )


class CallReasons(BaseModel):
    """The list in force; ``position`` of the fact that published it (None: starter list)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE | {"position": 9120}]})

    reasons: list[c.CallReason]
    free_text_allowed: bool
    position: int | None = Field(
        description="Log position of the publication; null while the starter list is in force."
    )


def _answer(reasons: ReasonList) -> CallReasons:
    return CallReasons(
        reasons=[c.CallReason(code=code, label=label) for code, label in reasons.reasons],
        free_text_allowed=reasons.free_text_allowed,
        position=reasons.position,
    )


def read_reasons(
    principal: ReasonReader,
    ledger: LedgerDep,
    at_position: Annotated[
        int | None,
        Query(ge=0, description="The list in force just after this log position."),
    ] = None,
) -> CallReasons:
    """The centre's call reasons in force."""
    return _answer(reasons_in_force(ledger, at_position))


def publish_reasons(
    principal: Admin,
    ledger: LedgerDep,
    response: Response,
    body: Annotated[
        CallReasonsBody,
        Body(openapi_examples={"list": {"summary": "A closed list", "value": _EXAMPLE}}),
    ],
) -> Recorded:
    """Record ``body`` as the list in force from now on."""
    command = c.PublishCallReasons(
        occurred_at=ledger.clock(),
        source=OWN_SOURCE,
        source_id=f"call-reasons-{uuid4()}",  # every publication is a new fact
        reasons=body.reasons,
        free_text_allowed=body.free_text_allowed,
    )
    return record(ledger, command, principal, response)


def router() -> APIRouter:
    """``GET /call-reasons`` (agent, analyst, admin), ``PUT /call-reasons`` (admin)."""
    routes = APIRouter(route_class=JsonBodyRoute, tags=["agents", "admins"])
    routes.add_api_route(
        "/call-reasons",
        read_reasons,
        methods=["GET"],
        response_model=CallReasons,
        summary="The centre's call reasons",
        description="The list in force (the latest published). Roles: agent, analyst, admin.",
        responses=problem_responses(401, 403, 422, 503),
        operation_id="read_call_reasons",
    )
    routes.add_api_route(
        "/call-reasons",
        publish_reasons,
        methods=["PUT"],
        status_code=HTTPStatus.CREATED,
        response_model=Recorded,
        summary="Publish the centre's call reasons",
        description="Records a `CallReasonsPublished` fact that replaces the list in force. "
        "Codes: lowercase slugs, unique; labels 1 to 80 characters; at most 200. Role: admin.",
        responses=problem_responses(401, 403, 413, 422, 503),
        operation_id="publish_call_reasons",
    )
    return routes
