"""Recording one fact per request: a POST endpoint for every fact kind (agents, integrators).

Bodies are the ``domain.commands`` models; ``kind`` may be left out (the path
says it). On ``/customers/{ref}/...`` the customer comes from the path: the body
may leave ``customer_ref`` out, and if it gives one it must be the path's, else
422 ``customer-mismatch``. Answers: 201 for a new fact, 200 with the original
position for an exact duplicate, 409 for a conflicting one, 422 naming each bad
field; nothing is written on any error. Facts record the key as their author.
Calls sent with an agent's key are held to the wrap-up rules of ``api.web.wrap_up``
(the agent is the key's name, the reason a code of the centre's list).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Response
from fastapi.openapi.models import Example
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.storage.keys import Principal
from api.web.bodies import JsonBodyRoute
from api.web.callers import call_body, call_command
from api.web.deps import LedgerDep, Recorder, ServicesDep
from api.web.problems import problem_responses
from api.web.schemas.examples import EXAMPLES
from api.web.schemas.params import CustomerRef
from api.web.wrap_up import typed_by
from domain import commands as c
from domain import errors
from domain.ledger import Ledger


class Recorded(BaseModel):
    """Where the fact is in the log: new (201) or recorded before (200, original position)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "recorded",
                    "position": 1042,
                    "stream_id": "6f1c2b1e-2f4d-5c7a-9a51-0e8f6d3b2a10",
                }
            ]
        }
    )

    status: Literal["recorded", "duplicate"]
    position: int = Field(description="Log position of the fact (the original for a duplicate).")
    stream_id: UUID = Field(description="The stream the fact belongs to.")


@dataclass(frozen=True)
class Recording:
    """One recording endpoint: path, command model, and whether ``{ref}`` names the customer."""

    path: str
    model: type[c.Command]
    summary: str
    by_ref: bool = False

    @property
    def kind(self) -> str:
        return str(self.model.model_fields["kind"].default)


RECORDINGS = (
    Recording("/customers", c.RegisterCustomer, "Register a customer"),
    Recording(
        "/customers/{ref}/contact-details",
        c.ChangeContactDetails,
        "Change a customer's contact details",
        by_ref=True,
    ),
    Recording(
        "/customers/{ref}/consent",
        c.ChangeMarketingConsent,
        "Change a customer's marketing consent",
        by_ref=True,
    ),
    Recording("/campaigns", c.PlanCampaign, "Plan a campaign"),
    Recording("/interactions/calls", c.RecordCall, "Record a call"),
    Recording("/interactions/calls/corrections", c.CorrectCall, "Correct a recorded call"),
    Recording("/interactions/mailshots", c.RecordMailshotSent, "Record a mailshot sent"),
    Recording(
        "/interactions/mailshots/held-back",
        c.RecordMailshotHeldBack,
        "Record a mailshot held back (control group)",
    ),
    Recording("/interactions/mailshots/delivered", c.RecordMailshotDelivered, "Record a delivery"),
    Recording("/interactions/mailshots/bounced", c.RecordMailshotBounced, "Record a bounce"),
    Recording("/interactions/mailshots/responded", c.RecordMailshotResponded, "Record a response"),
    Recording(
        "/interactions/mailshots/converted", c.RecordMailshotConverted, "Record a conversion"
    ),
    Recording("/interactions/surveys", c.RecordSurveyReply, "Record a survey reply"),
)


def record(
    ledger: Ledger, command: c.Command, principal: Principal, response: Response
) -> Recorded:
    """Record ``command`` as written by ``principal``; 200 instead of 201 for a duplicate."""
    command = typed_by(principal, ledger, command)
    outcome = ledger.record(command, principal.author)  # refusals raise: problem+json
    assert outcome.position is not None
    assert outcome.stream_id is not None
    if outcome.status == "duplicate":
        response.status_code = HTTPStatus.OK
    status: Literal["recorded", "duplicate"] = (
        "duplicate" if outcome.status == "duplicate" else "recorded"
    )
    return Recorded(status=status, position=outcome.position, stream_id=outcome.stream_id)


def path_body(model: type[c.Command]) -> type[BaseModel]:
    """``model`` with ``customer_ref`` optional: on ``/customers/{ref}/...`` the path gives it."""
    fields: dict[str, Any] = {
        name: (info.rebuild_annotation(), info)
        for name, info in model.model_fields.items()
        if name != "customer_ref"
    }
    fields["customer_ref"] = (
        c.Text | None,
        Field(default=None, description="Optional; if given, it must be the `{ref}` of the path."),
    )
    return create_model(
        f"{model.__name__}Body",
        __config__=model.model_config,
        __doc__=f"{model.__doc__ or model.__name__} (the customer is the path's `{{ref}}`).",
        **fields,
    )


def command_for(model: type[c.Command], body: BaseModel, ref: str) -> c.Command:
    """The command of a ``path_body`` for customer ``ref`` (422 if the body names another)."""
    given = getattr(body, "customer_ref", None)
    if given is not None and given != ref:
        msg = f"customer_ref {given} in the body differs from {ref} in the path"
        raise errors.CustomerMismatch(msg, field="customer_ref")
    return model.model_validate(body.model_dump(exclude_unset=True) | {"customer_ref": ref})


def _with_body(endpoint: Callable[..., Recorded], body: Any) -> Callable[..., Recorded]:
    """``endpoint`` with its ``body`` parameter annotated as ``body`` (for FastAPI)."""
    signature = inspect.signature(endpoint, eval_str=True)
    parameters = [
        p.replace(annotation=body) if p.name == "body" else p for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def _endpoint(spec: Recording) -> Callable[..., Recorded]:
    example: dict[str, Example] = {
        "example": {"summary": spec.summary, "value": EXAMPLES[spec.kind]}
    }
    if spec.model is c.RecordCall:  # by reference or by the caller's number (issue 13)

        def record_call(
            principal: Recorder,
            ledger: LedgerDep,
            services: ServicesDep,
            response: Response,
            body: Any,
        ) -> Recorded:
            return record(ledger, call_command(services, body), principal, response)

        return _with_body(record_call, Annotated[call_body(), Body(openapi_examples=example)])
    if not spec.by_ref:

        def record_fact(
            principal: Recorder, ledger: LedgerDep, response: Response, body: c.Command
        ) -> Recorded:
            return record(ledger, body, principal, response)

        return _with_body(record_fact, Annotated[spec.model, Body(openapi_examples=example)])
    model = path_body(spec.model)

    def record_for_customer(
        principal: Recorder, ledger: LedgerDep, response: Response, ref: CustomerRef, body: Any
    ) -> Recorded:
        return record(ledger, command_for(spec.model, body, ref), principal, response)

    return _with_body(record_for_customer, Annotated[model, Body(openapi_examples=example)])


def router() -> APIRouter:
    """The recording endpoints (role ``agent`` or ``integrator``)."""
    routes = APIRouter(route_class=JsonBodyRoute, tags=["agents", "integrators"])
    duplicate: dict[int | str, dict[str, Any]] = {
        200: {"model": Recorded, "description": "An exact duplicate: the original position."}
    }
    for spec in RECORDINGS:
        routes.add_api_route(
            spec.path,
            _endpoint(spec),
            methods=["POST"],
            status_code=HTTPStatus.CREATED,
            response_model=Recorded,
            summary=spec.summary,
            description=f"Records a `{spec.model.KIND}` fact. Roles: agent, integrator.",
            response_description="Recorded: a new fact at this position.",
            responses=duplicate | problem_responses(401, 403, 409, 413, 422, 503),
            operation_id=f"record_{spec.kind}",
        )
    return routes
