"""``POST /campaigns/{id}/suppression``: send or suppress, per recipient, with the rules why.

The answer is streamed as NDJSON (``application/x-ndjson``), one line per customer in the
order given, then one closing line with the counts; every suppressed recipient is recorded
as a ``ContactSuppressed`` fact before its line is sent (``api.web.suppression``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.web.bodies import JsonBodyRoute
from api.web.deps import Integrator, ServicesDep
from api.web.problems import problem_responses
from api.web.reading import not_found
from api.web.routes.customers.contactability import blocking_rule
from api.web.schemas.params import ReferenceTime
from api.web.suppression import Run, Verdict, campaign_channel, suppress
from domain import commands as c

__all__ = ["MAX_RECIPIENTS", "SuppressionBody", "router"]

MAX_RECIPIENTS = 100_000  # per request: a longer list is several requests (the CLI chunks)
NDJSON = "application/x-ndjson"


_EXAMPLE: dict[str, Any] = {"customer_refs": ["C-000001", "C-000003"], "channel": "sms"}


class SuppressionBody(BaseModel):
    """The campaign's recipients, and the channel and instant to ask about."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    customer_refs: list[c.Text] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    channel: c.Channel | None = Field(
        default=None, description="Default: the channel the campaign was planned on."
    )
    at: ReferenceTime | None = Field(default=None, description="Default: now.")


def line(verdict: Verdict) -> str:
    """One recipient's NDJSON line."""
    blocks = [blocking_rule(b).model_dump(mode="json") for b in verdict.decision.blocks]
    answer = {"customer_ref": verdict.customer_ref, "send": verdict.send, "known": verdict.known}
    return json.dumps(answer | {"blocked_by": blocks}) + "\n"


def _lines(chunks: Iterator[list[Verdict]], run: Run) -> Iterator[str]:
    counts = {"send": 0, "suppress": 0}
    rules: dict[str, int] = {}
    for chunk in chunks:
        for verdict in chunk:
            counts["send" if verdict.send else "suppress"] += 1
            for block in verdict.decision.blocks:
                rules[block.rule] = rules.get(block.rule, 0) + 1
            yield line(verdict)
    closing: dict[str, Any] = {"done": True, "run": run.run_id, **counts, "rules": rules}
    yield json.dumps(closing) + "\n"


def suppression(
    principal: Integrator,
    services: ServicesDep,
    campaign_id: Annotated[c.Text, Path(description="The campaign's id.")],
    body: Annotated[
        SuppressionBody,
        Body(openapi_examples={"list": {"summary": "Two recipients", "value": _EXAMPLE}}),
    ],
) -> StreamingResponse:
    """Send or suppress, per recipient, under the contact policy in force at ``at``."""
    planned = campaign_channel(services, campaign_id)
    if planned is None:
        raise not_found("campaign-not-found", "no campaign was planned with this id")
    at: datetime = body.at or services.ledger.clock()
    run = Run(campaign_id, body.channel or planned, at, principal.author)
    chunks = suppress(services, run, body.customer_refs)
    return StreamingResponse(_lines(chunks, run), media_type=NDJSON)


def router() -> APIRouter:
    """``POST /campaigns/{campaign_id}/suppression`` (integrator)."""
    routes = APIRouter(route_class=JsonBodyRoute, tags=["integrators"])
    routes.add_api_route(
        "/campaigns/{campaign_id}/suppression",
        suppression,
        methods=["POST"],
        response_class=StreamingResponse,
        summary="Which recipients of a campaign the contact policy lets through",
        description="Streams NDJSON: per customer, in the order given, "
        '`{"customer_ref", "send", "known", "blocked_by"}`, then '
        '`{"done": true, "run", "send", "suppress", "rules"}`. Every suppressed recipient is '
        "recorded as a `ContactSuppressed` fact. At most 100,000 references per request. "
        "Role: integrator.",
        responses={
            200: {
                "content": {
                    NDJSON: {
                        "schema": {"type": "string", "description": "NDJSON lines"},
                        "example": '{"customer_ref": "C-000002", "send": true, "known": true, '
                        '"blocked_by": []}\n{"done": true, "run": "5f0c", "send": 1, '
                        '"suppress": 0, "rules": {}}\n',
                    }
                },
                "description": "One line per recipient, then the counts.",
            },
            **problem_responses(401, 403, 404, 413, 422, 503),
        },
        operation_id="suppress_campaign_recipients",
    )
    return routes
