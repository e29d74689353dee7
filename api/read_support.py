"""What the read endpoints share: services, read-your-writes waits, and their problems.

The read routers use ``ProblemRoute`` as their route class: it turns a query's
``UnknownBreakdown`` into a 422 like any validation error, and names the allowed
parameters when a request sends an unknown one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, cast

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from psycopg import Connection
from psycopg_pool import ConnectionPool
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from pydantic_core import PydanticCustomError

from api.problems import MEDIA_TYPE, Problem, ProblemError, problem_error, problem_type
from api.projectors import view_config
from api.vault import AesKeyring
from api.wiring import Services
from domain.ids import customer_stream_id
from projections.config import ViewConfig
from projections.query import UnknownBreakdown

MAX_POSITION = 2**63 - 1  # positions are PostgreSQL bigints
RETRY_AFTER_SECONDS = 1
_FIRST_POLL, _LONGEST_POLL = 0.002, 0.01  # seconds between looks at view_tracking


_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    # Far outside this range, time-zone arithmetic overflows Python's datetime.
    if not _EARLIEST <= value <= _LATEST:
        raise PydanticCustomError("time_out_of_range", "a time between 1900 and 9000 is needed")
    return value


ReferenceTime = Annotated[AwareDatetime, AfterValidator(_plausible)]
"""A time with its time zone, in a plausible range (``at`` parameters)."""


def get_services(request: Request) -> Services:
    """The process's services (``app.state.services``)."""
    return cast(Services, request.app.state.services)


ServicesDep = Annotated[Services, Depends(get_services)]

MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_POSITION,
        description=(
            "Read-your-writes: the log position a write returned. The API waits (at most "
            "`read_wait_seconds`, default 2 s) until the view has applied it, else answers "
            "503 with the view's current position and `Retry-After`."
        ),
    ),
]


class ViewBehindProblem(Problem):
    """503: the view has not applied ``min_position`` yet (try again after Retry-After)."""

    view: str = Field(examples=["customer"])
    view_position: int = Field(description="Last log position the view has applied.")
    min_position: int = Field(description="The position the request asked for.")


def not_found(code: str, detail: str) -> ProblemError:
    """A 404 problem with a stable ``type``."""
    return problem_error(HTTPStatus.NOT_FOUND, code, detail)


def invalid(name: str, reason: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 naming one bad query parameter (the same shape as any validation error)."""
    return RequestValidationError([{"loc": ("query", name), "msg": reason, "type": kind}])


def view_position(pool: ConnectionPool, view: str) -> int:
    """Last log position the view ``view`` has applied (0 before its first page)."""
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT position FROM view_tracking WHERE view_name = %s", (view,), prepare=True
        ).fetchone()
    return 0 if row is None else int(row[0])


def wait_for_view(services: Services, view: str, min_position: int | None) -> None:
    """Return once ``view`` has applied ``min_position``; 503 problem after the bounded wait.

    The view's tracking row is written in the same transaction as its rows, so once
    it shows the position, every later statement sees what that position changed.
    The runner does not announce its progress, so this polls, with growing pauses.
    """
    if min_position is None:
        return
    deadline = time.monotonic() + services.settings.read_wait_seconds
    pause = _FIRST_POLL
    while (position := view_position(services.key_pool, view)) < min_position:
        left = deadline - time.monotonic()
        if left <= 0:
            raise view_behind(view, position, min_position)
        time.sleep(min(pause, left))
        pause = min(pause * 2, _LONGEST_POLL)


def view_behind(view: str, position: int, min_position: int) -> ProblemError:
    """The 503 problem of a view that has not reached ``min_position``."""
    problem = ViewBehindProblem(
        type=problem_type("view-behind"),
        title="View behind",
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        detail=f"the {view} view has applied the log up to position {position}, "
        f"not yet {min_position}; try again shortly",
        code="view-behind",
        view=view,
        view_position=position,
        min_position=min_position,
    )
    return ProblemError(problem, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def view_behind_response() -> dict[int | str, dict[str, Any]]:
    """OpenAPI entry of the 503 a read with ``min_position`` may answer."""
    # The same status when the database does not answer, with a plain problem.
    schema = {
        "anyOf": [
            {"$ref": "#/components/schemas/ViewBehindProblem"},
            {"$ref": "#/components/schemas/Problem"},
        ]
    }
    return {
        HTTPStatus.SERVICE_UNAVAILABLE: {
            "model": ViewBehindProblem,
            "description": "The view has not applied `min_position` yet, or the database "
            "did not answer; try again after `Retry-After` seconds.",
            "content": {MEDIA_TYPE: {"schema": schema}},
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    }


def config_of(services: Services) -> ViewConfig:
    """The views' thresholds and rates (as the projectors use them)."""
    return view_config(services.settings)


_READ_KEYS = "SELECT customer_ref, data_key FROM customer_keys WHERE customer_id = ANY(%s)"


class SnapshotVault:
    """Reads customers' data keys on the caller's connection, in its snapshot.

    A read then never holds two pooled connections at once (nested checkouts can
    starve a small pool under load), and sees erasure as of the same moment as the
    view. It only reads: creating or destroying keys is the ledger's business.
    """

    def __init__(self, conn: Connection[Any]) -> None:
        self.conn = conn

    def keyring(self, customer_refs: Iterable[str], *, create: bool) -> AesKeyring:
        """The keys of ``customer_refs`` (a destroyed or missing key opens nothing)."""
        if create:
            raise NotImplementedError("reads never create keys")
        ids = [customer_stream_id(ref) for ref in sorted(set(customer_refs))]
        found = self.conn.execute(_READ_KEYS, (ids,)).fetchall() if ids else []
        return AesKeyring({ref: None if key is None else bytes(key) for ref, key in found})

    def destroy(self, customer_ref: str) -> None:
        raise NotImplementedError("reads never destroy keys")


def vault_on(conn: Connection[Any]) -> SnapshotVault:
    """A read-only key vault on ``conn``."""
    return SnapshotVault(conn)


class ProblemRoute(APIRoute):
    """A route answering its reads' refusals as problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = query_names(self.dependant)

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except UnknownBreakdown as unknown:
                raise invalid("group_by", str(unknown), "unknown_breakdown") from unknown
            except RequestValidationError as error:
                raise RequestValidationError(_name_allowed(error.errors(), allowed)) from error

        return handle


def query_names(dependant: Dependant) -> list[str]:
    """Every query parameter of a route (those of a parameter model one by one)."""
    names: list[str] = []
    for param in dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names += [info.alias or name for name, info in model.model_fields.items()]
        else:
            names.append(param.alias)
    for sub in dependant.dependencies:
        names += query_names(sub)
    return list(dict.fromkeys(names))


def _name_allowed(errors: Any, allowed: list[str]) -> list[dict[str, Any]]:
    """Validation errors, an unknown query parameter's saying which ones exist."""
    names = ", ".join(allowed)
    return [
        {**error, "msg": f"unknown query parameter; allowed: {names}"}
        if error.get("type") == "extra_forbidden"
        else error
        for error in errors
    ]
