"""Batch ingest for integrators: many facts in one request, one transaction, a result per item.

``POST /interactions/batch`` takes a JSON array (``Content-Type: application/json``)
or NDJSON, one fact per line (``application/x-ndjson``), every item with its
``kind``. An item that is not a valid fact (bad JSON on its line, a bad field) is
refused on its own with the reason; the others are recorded together through
``Ledger.record_batch``. Duplicates are reported per item, never fatal. The body
is bounded by ``max_request_bytes`` and the items by ``max_batch_items`` (413).
A ``call_recorded`` item may name the caller's number (``caller_number``) instead of
the customer, as ``POST /interactions/calls`` (``api.importers.callers``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from api.bootstrap import Services
from api.importers.callers import CallerRefused, Resolver, caller_resolver, with_caller
from api.importers.json_text import BadJson, parse_json
from api.storage.keys import Principal
from api.web.bodies import is_json
from api.web.deps import CheckedServicesDep, Integrator
from api.web.problems import (
    InvalidParam,
    ProblemError,
    problem_error,
    problem_responses,
    too_large_problem,
)
from api.web.schemas.examples import story
from domain import commands as c
from domain import errors
from domain.outcomes import Outcome

NDJSON = "application/x-ndjson"
SCHEMAS = "#/components/schemas/"


class ItemResult(BaseModel):
    """What became of one item of the batch."""

    index: int = Field(description="Place of the item in the batch, from 0.")
    line: int | None = Field(default=None, description="NDJSON: the item's line, from 1.")
    status: Literal["recorded", "duplicate", "refused"]
    position: int | None = Field(default=None, description="Log position (original if duplicate).")
    stream_id: UUID | None = None
    code: str | None = Field(default=None, description="Why it was refused: a stable code.")
    reason: str | None = None
    field: str | None = Field(default=None, description="The field a refusal is about.")
    original_position: int | None = Field(default=None, description="Conflicts: the original.")
    invalid_params: list[InvalidParam] | None = None


class BatchResult(BaseModel):
    """Counts, then one result per item in the order sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recorded": 1,
                    "duplicates": 0,
                    "refused": 1,
                    "items": [
                        {
                            "index": 0,
                            "status": "recorded",
                            "position": 1043,
                            "stream_id": ("6f1c2b1e-2f4d-5c7a-9a51-0e8f6d3b2a10"),
                        },
                        {
                            "index": 1,
                            "status": "refused",
                            "code": "invalid-fact",
                            "reason": "wait_seconds: Field required",
                            "invalid_params": [
                                {
                                    "name": "wait_seconds",
                                    "location": "body",
                                    "reason": "Field required",
                                    "type": "missing",
                                }
                            ],
                        },
                    ],
                }
            ]
        }
    )

    recorded: int
    duplicates: int
    refused: int
    items: list[ItemResult]


@dataclass
class Parsed:
    """One item of a request: a command to record, or already refused."""

    index: int
    line: int | None
    command: c.Command | None = None
    refusal: ItemResult | None = None


class BatchParser:
    """Splits a request body into items and validates each on its own."""

    def __init__(self, max_items: int, resolve: Resolver | None = None) -> None:
        self.max_items = max_items
        self.adapter: TypeAdapter[c.Command] = TypeAdapter(c.AnyCommand)
        self.resolve = resolve  # calls given by caller_number

    def parse(self, raw: bytes, content_type: str | None) -> list[Parsed]:
        """The items of a JSON array or NDJSON body (413/415/422 problems for the whole)."""
        media = (content_type or "").split(";")[0].strip().lower()
        if media == NDJSON:
            return self._ndjson(raw)
        if is_json(content_type):
            return self._array(raw)
        detail = f"send application/json (an array) or {NDJSON}; got {media or 'no Content-Type'}"
        raise problem_error(415, "unsupported-media-type", detail)

    def _array(self, raw: bytes) -> list[Parsed]:
        try:
            value = parse_json(raw)
        except BadJson as bad:
            raise problem_error(422, bad.code, bad.reason) from bad
        if not isinstance(value, list):
            msg = "a batch is a JSON array of facts"
            raise RequestValidationError([{"loc": ("body",), "msg": msg, "type": "list_type"}])
        self._check_count(len(value))
        return [self._item(i, None, item) for i, item in enumerate(value)]

    def _ndjson(self, raw: bytes) -> list[Parsed]:
        lines = [(n, line) for n, line in enumerate(raw.split(b"\n"), 1) if line.strip()]
        self._check_count(len(lines))
        return [self._line(i, n, line) for i, (n, line) in enumerate(lines)]

    def _line(self, index: int, number: int, raw: bytes) -> Parsed:
        try:
            value = parse_json(raw)
        except BadJson as bad:
            return Parsed(index, number, refusal=refused(index, number, bad.code, bad.reason))
        return self._item(index, number, value)

    def _item(self, index: int, line: int | None, value: Any) -> Parsed:
        try:
            value = with_caller(value, self.resolve)
        except CallerRefused as bad:
            return Parsed(index, line, refusal=caller_refused(index, line, bad))
        try:
            return Parsed(index, line, command=self.adapter.validate_python(value))
        except ValidationError as error:
            params = item_params(error, value)
            reason = "; ".join(f"{p.name}: {p.reason}" for p in params)
            result = refused(index, line, errors.InvalidFact.code, reason)
            result.invalid_params = params
            return Parsed(index, line, refusal=result)

    def _check_count(self, count: int) -> None:
        if count > self.max_items:
            detail = f"{count} items in one batch; the limit is {self.max_items}"
            raise ProblemError(too_large_problem(detail))


def refused(index: int, line: int | None, code: str, reason: str) -> ItemResult:
    """An item refused before reaching the ledger."""
    return ItemResult(index=index, line=line, status="refused", code=code, reason=reason)


def caller_refused(index: int, line: int | None, bad: CallerRefused) -> ItemResult:
    """An item whose caller number cannot be used (the number is never quoted)."""
    result = refused(index, line, bad.code, bad.reason)
    result.field = "caller_number"
    if bad.code == errors.InvalidFact.code:
        reason = bad.reason.removeprefix("caller_number: ")
        param = InvalidParam(
            name="caller_number", location="body", reason=reason, type="value_error"
        )
        result.invalid_params = [param]
    return result


def item_params(error: ValidationError, value: Any) -> list[InvalidParam]:
    """The bad fields of one item, named without the union's tag (``wait_seconds``)."""
    kind = value.get("kind") if isinstance(value, dict) else None
    params = []
    for item in error.errors(include_url=False, include_input=False):
        loc = list(item["loc"])
        if loc and loc[0] == kind:
            loc = loc[1:]  # the discriminated union puts the tag first
        name = ".".join(str(part) for part in loc)
        if not name:
            name = "kind" if item["type"].startswith("union_tag") else "item"
        params.append(
            InvalidParam(name=name, location="body", reason=item["msg"], type=item["type"])
        )
    return params


def from_outcome(item: Parsed, outcome: Outcome) -> ItemResult:
    """The result of an item the ledger decided."""
    result = ItemResult(
        index=item.index,
        line=item.line,
        status=outcome.status,
        position=outcome.position,
        stream_id=outcome.stream_id,
    )
    if outcome.error is not None:
        result.code, result.field = outcome.error.code, outcome.error.field
        result.original_position = getattr(outcome.error, "original_position", None)
        result.reason = describe(outcome.error)
    return result


def describe(error: errors.DomainError) -> str:
    """A refusal's reason; a conflict's names the original position (not a batch index)."""
    position = getattr(error, "original_position", None)
    if isinstance(error, errors.FactConflict) and position is not None:
        return f"this source_id was recorded at position {position} with other content"
    return error.message


def record_items(services: Services, author: str, items: list[Parsed]) -> BatchResult:
    """Record the valid items in one transaction; every item gets its result, in order."""
    valid = [item for item in items if item.command is not None]
    commands = [item.command for item in valid if item.command is not None]
    outcomes = services.ledger.record_batch(commands, author) if commands else []
    decided = {
        item.index: from_outcome(item, out) for item, out in zip(valid, outcomes, strict=True)
    }
    results = [decided.get(item.index) or item.refusal for item in items]
    final = [result for result in results if result is not None]
    return BatchResult(
        recorded=sum(r.status == "recorded" for r in final),
        duplicates=sum(r.status == "duplicate" for r in final),
        refused=sum(r.status == "refused" for r in final),
        items=final,
    )


def _ingest(
    services: Services, principal: Principal, raw: bytes, content_type: str | None
) -> BatchResult:
    resolve = caller_resolver(services.key_pool, services.index)
    items = BatchParser(services.settings.max_batch_items, resolve).parse(raw, content_type)
    return record_items(services, principal.author, items)


async def record_batch(
    principal: Integrator, services: CheckedServicesDep, request: Request
) -> BatchResult:
    """Record a batch: a JSON array or NDJSON lines of facts, each with its ``kind``."""
    raw = await request.body()  # bounded by the BodyLimit middleware
    content_type = request.headers.get("content-type")
    # Parsing and recording are CPU and database work: off the event loop.
    return await run_in_threadpool(_ingest, services, principal, raw, content_type)


def command_schemas() -> dict[str, Any]:
    """JSON schemas of every command, and ``BatchItem`` (any of them by ``kind``).

    For the OpenAPI components: the batch body is read by hand, so FastAPI does
    not add them itself (``create_app`` merges them into the document).
    """
    schema = TypeAdapter(c.AnyCommand).json_schema(ref_template=SCHEMAS + "{model}")
    definitions: dict[str, Any] = schema.pop("$defs")
    item = schema | {"description": "Any fact, told apart by its `kind` (required here)."}
    return definitions | {"BatchItem": item}


def _request_body_doc() -> dict[str, Any]:
    """The OpenAPI request body (read by hand to refuse items one by one)."""
    examples = story()
    ndjson_example = "".join(json.dumps(example) + "\n" for example in examples[:3])
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": SCHEMAS + "BatchItem"}},
                "examples": {"story": {"summary": "One of each fact", "value": examples}},
            },
            NDJSON: {
                "schema": {"type": "string", "description": "One fact (JSON object) per line."},
                "examples": {"lines": {"summary": "Three facts", "value": ndjson_example}},
            },
        },
    }


def router() -> APIRouter:
    """The batch endpoint (role ``integrator``)."""
    routes = APIRouter(tags=["integrators"])
    routes.add_api_route(
        "/interactions/batch",
        record_batch,
        methods=["POST"],
        summary="Record a batch of facts (JSON array or NDJSON)",
        description="Role: integrator. One transaction; a result per item, in order. "
        "Invalid items are refused one by one, the others recorded. A `call_recorded` item "
        "may give `caller_number` (the caller's number, any usual writing) instead of "
        "`customer_ref`: it is recorded for the one customer with exactly that number, else "
        "for an unidentified caller `U-...`; the number itself is never recorded.",
        responses=problem_responses(401, 403, 409, 413, 415, 422, 503),
        openapi_extra={"requestBody": _request_body_doc()},
    )
    return routes
