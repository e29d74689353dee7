"""What auditors read: the log in order, one stream, and how far each view has got.

Facts are shown as recorded, with position, recording time and author. Personal
fields are withheld (``{"withheld": true}``): no role is granted personal data
here yet; a grant for auditors would open them with ``Ledger.reveal``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from api.web.deps import Auditor, CheckedServicesDep, LedgerDep, Operator, RebuildsDep
from api.web.problems import problem_error, problem_responses
from api.web.reading import check_view
from api.web.schemas.params import Digits, LogPosition, ViewName
from domain.facts import FACT_TYPES
from domain.reading import LoggedFact

MAX_PAGE = 1000
KindName = Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(FACT_TYPES)})]
"""A fact kind in ``types``: documented as the list of kinds; a value may also be several
kinds joined by commas (each checked by ``parse_kinds``)."""
_ENTRY_EXAMPLE: dict[str, Any] = {
    "position": 1042,
    "stream_id": "6f1c2b1e-2f4d-5c7a-9a51-0e8f6d3b2a10",
    "version": 1,
    "kind": "CustomerRegistered",
    "recorded_at": "2026-03-02T09:00:01.204Z",
    "author": "api:3f9a0c1d2e4b:integrator",
    "data": {
        "occurred_at": "2026-03-02T09:00:00Z",
        "source": "crm",
        "source_id": "reg-C-1001",
        "customer_ref": "C-1001",
        "name": {"withheld": True},
        "email": {"withheld": True},
        "phone": None,
        "segment": "retail",
    },
}


class LogEntry(BaseModel):
    """One fact as read from the log; personal fields are withheld."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ENTRY_EXAMPLE]})

    position: int = Field(description="Log position: increasing, not contiguous.")
    stream_id: UUID
    version: int = Field(description="Place of the fact in its stream, from 1.")
    kind: str = Field(examples=["CallRecorded"])
    recorded_at: datetime
    author: str = Field(
        description="Who recorded the fact, e.g. `api:<key id>:<role>` or `import:<user>`.",
        examples=["api:3f9a0c1d2e4b:agent"],
    )
    data: dict[str, Any] = Field(description="The fact's fields.")


class LogPage(BaseModel):
    """Facts in log order; pass ``next_after`` as ``after`` for the next page."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"facts": [_ENTRY_EXAMPLE], "next_after": 1042}]}
    )

    facts: list[LogEntry]
    next_after: int = Field(ge=0, description="Position of the last fact read (or `after`).")


class StreamFacts(BaseModel):
    """One stream's facts in stream order (versions 1, 2, ...), with their log positions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"stream_id": _ENTRY_EXAMPLE["stream_id"], "facts": [_ENTRY_EXAMPLE]}]
        }
    )

    stream_id: UUID
    facts: list[LogEntry]


class ViewStatusOut(BaseModel):
    """How far a view has applied the log."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "cost",
                    "position": 1040,
                    "head": 1042,
                    "lag_facts": 2,
                    "lag_seconds": 0.4,
                    "rebuild": None,
                }
            ]
        }
    )

    name: str = Field(examples=["customer"])
    position: int = Field(description="Last log position applied.")
    head: int = Field(description="Highest position in the log.")
    lag_facts: int = Field(description="Facts in the log after `position`.")
    lag_seconds: float = Field(description="Age of the oldest fact not yet applied (0 if none).")
    rebuild: Literal["running", "succeeded", "failed"] | None = Field(
        default=None, description="The latest rebuild asked for over HTTP by this process."
    )


def log_entry(logged: LoggedFact) -> LogEntry:
    """A logged fact with personal fields withheld."""
    plain = logged.as_dict(None)
    data = plain.pop("data")
    return LogEntry(**plain, author=data.pop("recorded_by"), data=data)


def parse_kinds(types: list[str]) -> list[str]:
    """Fact kinds from ``types`` (repeated and/or comma-separated); unknown -> 422.

    Each name must be a kind exactly: no spaces around it, no empty name.
    """
    kinds = [name for value in types for name in value.split(",")]
    unknown = [kind for kind in kinds if kind not in FACT_TYPES]
    if unknown:
        allowed = ", ".join(sorted(FACT_TYPES))
        reason = f"unknown fact kind(s) {', '.join(map(repr, unknown))}; allowed: {allowed}"
        error = {"loc": ("query", "types"), "msg": reason, "type": "unknown_kind"}
        raise RequestValidationError([error])
    return kinds


def read_log(
    principal: Auditor,
    ledger: LedgerDep,
    after: Annotated[LogPosition, Query(description="Read facts after this position.")] = 0,
    limit: Annotated[
        int, Field(ge=1, le=MAX_PAGE), Digits, Query(description="At most this many.")
    ] = 100,
    types: Annotated[
        list[KindName] | None,
        Query(description="Only these fact kinds (repeat or comma-separate), e.g. CallRecorded."),
    ] = None,
) -> LogPage:
    """Decoded facts after ``after`` in log order, with positions and authors."""
    kinds = parse_kinds(types or [])
    facts = [log_entry(item) for item in ledger.read_log(after, limit, kinds)]
    return LogPage(facts=facts, next_after=facts[-1].position if facts else after)


def read_stream(
    principal: Auditor,
    ledger: LedgerDep,
    stream_id: Annotated[UUID, Path(description="The stream's id (from a write's answer).")],
) -> StreamFacts:
    """Every fact of one stream, in order; 404 if the stream has none."""
    facts = [log_entry(item) for item in ledger.read_stream(stream_id)]
    if not facts:
        raise problem_error(404, "unknown-stream", f"no facts in stream {stream_id}")
    return StreamFacts(stream_id=stream_id, facts=facts)


def view_status(
    principal: Operator, services: CheckedServicesDep, rebuilds: RebuildsDep, name: ViewName
) -> ViewStatusOut:
    """The view's position and lag (as ``touchpoint views status`` shows them)."""
    runner = services.runner([check_view(name)])
    [status] = runner.status()
    return ViewStatusOut(
        name=status.name,
        position=status.position,
        head=status.head,
        lag_facts=status.lag_facts,
        lag_seconds=status.lag_seconds,
        rebuild=rebuilds.state(name),
    )


def router() -> APIRouter:
    """The auditors' endpoints."""
    routes = APIRouter()
    routes.add_api_route(
        "/log",
        read_log,
        methods=["GET"],
        tags=["auditors"],
        summary="The log in order, paged by position",
        description="Role: auditor. Personal fields are withheld.",
        responses=problem_responses(401, 403, 422, 503),
    )
    routes.add_api_route(
        "/streams/{stream_id}",
        read_stream,
        methods=["GET"],
        tags=["auditors"],
        summary="One stream's facts in order",
        description="Role: auditor. Personal fields are withheld.",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    routes.add_api_route(
        "/views/{name}/status",
        view_status,
        methods=["GET"],
        tags=["auditors", "admins"],
        summary="A view's position and lag",
        description="Roles: auditor, admin.",
        responses=problem_responses(401, 403, 404, 422, 503),
    )
    return routes
