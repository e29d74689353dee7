"""What the read endpoints share: services, read-your-writes waits, and their problems.

The read routers use ``ProblemRoute`` as their route class: it turns a query's
``UnknownBreakdown`` into a 422 like any validation error, and names the allowed
parameters when a request sends an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from api.bootstrap import Services
from api.web.problems import MEDIA_TYPE, Problem, ProblemError, problem_error, problem_type
from projections.query import UnknownBreakdown
from projections.registry import VIEW_NAMES
from projections.tracking import ViewBehind, wait_for_position

RETRY_AFTER_SECONDS = 1  # a view catches up within a second or so


class ViewBehindProblem(Problem):
    """503: the view has not applied ``min_position`` yet (try again after Retry-After)."""

    view: str = Field(examples=["customer"])
    view_position: int = Field(description="Last log position the view has applied.")
    min_position: int = Field(description="The position the request asked for.")


def not_found(code: str, detail: str) -> ProblemError:
    """A 404 problem with a stable ``type``."""
    return problem_error(HTTPStatus.NOT_FOUND, code, detail)


def check_view(name: str) -> str:
    """``name`` if it is a view, else a 404 problem listing the views."""
    if name not in VIEW_NAMES:
        detail = f"no view {name!r}; views are {', '.join(VIEW_NAMES)}"
        raise problem_error(404, "unknown-view", detail)
    return name


def invalid(name: str, reason: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 naming one bad query parameter (the same shape as any validation error)."""
    return RequestValidationError([{"loc": ("query", name), "msg": reason, "type": kind}])


def wait_for_view(services: Services, view: str, min_position: int | None) -> None:
    """Return once ``view`` has applied ``min_position``; 503 problem after the bounded wait.

    The view's tracking row is written in the same transaction as its rows, so once
    it shows the position, every later statement sees what that position changed.
    """
    if min_position is None:
        return
    wait = services.settings.read_wait_seconds
    try:
        wait_for_position(services.reads, view, min_position, wait)
    except ViewBehind as behind:
        raise view_behind(behind) from behind


def view_behind(behind: ViewBehind) -> ProblemError:
    """The 503 problem of a view that has not reached the position asked for."""
    problem = ViewBehindProblem(
        type=problem_type("view-behind"),
        title="View behind",
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        detail=str(behind),
        code="view-behind",
        view=behind.view,
        view_position=behind.position,
        min_position=behind.min_position,
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
