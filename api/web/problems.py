"""Errors as RFC 9457 problem+json: one stable ``type`` URI per domain error code.

Every error response of the API goes through here, so none carries a stack
trace, SQL or the offending input (which may be personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.storage.errors import DATABASE_UNAVAILABLE
from api.web.security import Forbidden, Unauthenticated
from domain import errors

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://touchpoint.dev/problems/"
MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2
AUTHENTICATE_CHALLENGE = 'Bearer realm="touchpoint", ApiKey realm="touchpoint" header="X-API-Key"'


class InvalidParam(BaseModel):
    """One bad input field of a request."""

    name: str = Field(description="Dotted path of the field, e.g. `limit` or `call.source`.")
    location: str = Field(description="Where the field was: query, path, body, header.")
    reason: str
    type: str = Field(description="Machine-readable error kind.")


class Problem(BaseModel):
    """RFC 9457 problem details, with touchpoint's extension members."""

    type: str = Field(examples=[PROBLEM_BASE + "score-out-of-range"])
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    code: str | None = Field(default=None, description="Stable error code (end of `type`).")
    field: str | None = Field(default=None, description="The input field a refusal is about.")
    original_position: int | None = Field(
        default=None, description="Log position of the fact a conflict is about."
    )
    invalid_params: list[InvalidParam] | None = None


class ProblemError(Exception):
    """Raised anywhere in a request to answer with ``problem`` (and ``headers``)."""

    def __init__(self, problem: Problem, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(problem.detail or problem.title)
        self.problem = problem
        self.headers = headers


def problem_error(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> ProblemError:
    """A ``ProblemError`` with the stable type of ``code``."""
    problem = Problem(
        type=problem_type(code), title=title_of(code), status=status, detail=detail, code=code
    )
    return ProblemError(problem, headers)


class RequestTooLarge(HTTPException):
    """A request body beyond ``max_request_bytes``, found while receiving it (413).

    An ``HTTPException`` so that FastAPI's body reading lets it through to the
    handlers instead of turning it into a 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


def too_large_problem(detail: str) -> Problem:
    """The 413 problem: a body or a batch beyond a configured limit."""
    return Problem(
        type=problem_type("request-too-large"),
        title="Request too large",
        status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        detail=detail,
        code="request-too-large",
    )


def problem_type(code: str) -> str:
    """The stable ``type`` URI of an error code."""
    return PROBLEM_BASE + code


def title_of(code: str) -> str:
    """A human title from a code: ``score-out-of-range`` -> ``Score out of range``."""
    return code.replace("-", " ").capitalize()


def status_of(error: errors.DomainError) -> int:
    """HTTP status of a domain error: conflicts 409, every other refusal 422."""
    if isinstance(error, errors.FactConflict | errors.WriteContention):
        return HTTPStatus.CONFLICT
    return HTTPStatus.UNPROCESSABLE_ENTITY


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A problem as an ``application/problem+json`` response."""
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def domain_problem(error: errors.DomainError, instance: str | None = None) -> Problem:
    """The problem describing a refused fact; its field also as an ``invalid_params`` entry."""
    return Problem(
        type=problem_type(error.code),
        title=title_of(error.code),
        status=status_of(error),
        detail=error.message,
        instance=instance,
        code=error.code,
        field=error.field,
        original_position=getattr(error, "original_position", None),
        invalid_params=refused_params(error),
    )


def refused_params(error: errors.DomainError) -> list[InvalidParam] | None:
    """A domain refusal's field, in the shape of a validation error's (None without one)."""
    if error.field is None:
        return None
    return [InvalidParam(name=error.field, location="body", reason=error.message, type=error.code)]


def invalid_params(validation_errors: Sequence[Any]) -> list[InvalidParam]:
    """Each bad field of a request validation error (never the input itself)."""
    params = []
    for error in validation_errors:
        location, *path = error.get("loc") or ("request",)
        params.append(
            InvalidParam(
                name=".".join(str(part) for part in path) or str(location),
                location=str(location),
                reason=str(error.get("msg", "invalid")),
                type=str(error.get("type", "value_error")),
            )
        )
    return params


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    problem = domain_problem(exc, request.url.path)
    transient = isinstance(exc, errors.WriteContention)
    return problem_response(problem, _retry_after() if transient else None)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    params = invalid_params(exc.errors())
    problem = Problem(
        type=problem_type("invalid-request"),
        title="Invalid request",
        status=HTTPStatus.UNPROCESSABLE_ENTITY,
        detail="; ".join(f"{p.name}: {p.reason}" for p in params),
        instance=request.url.path,
        code="invalid-request",
        invalid_params=params,
    )
    return problem_response(problem)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The cause goes to the log only: it may hold host names or SQL.
    log.warning("database unavailable on %s: %s", request.url.path, exc)
    problem = Problem(
        type=problem_type("database-unavailable"),
        title="Database unavailable",
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        detail="The database did not answer; try again shortly.",
        instance=request.url.path,
        code="database-unavailable",
    )
    return problem_response(problem, _retry_after())


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status = HTTPStatus(exc.status_code)
    problem = Problem(
        type="about:blank",  # RFC 9457: no semantics beyond the status code
        title=status.phrase,
        status=status,
        detail=exc.detail if isinstance(exc.detail, str) else None,
        instance=request.url.path,
    )
    return problem_response(problem, exc.headers)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    problem = exc.problem.model_copy(update={"instance": request.url.path})
    return problem_response(problem, exc.headers)


async def _on_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestTooLarge)
    problem = too_large_problem(exc.detail)
    problem.instance = request.url.path
    return problem_response(problem)


async def _on_unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    problem = Problem(
        type=problem_type("unauthenticated"),
        title="Unauthenticated",
        status=HTTPStatus.UNAUTHORIZED,
        detail=str(exc),
        instance=request.url.path,
        code="unauthenticated",
    )
    # RFC 9110: a 401 names how to authenticate; a bearer token or X-API-Key.
    return problem_response(problem, {"WWW-Authenticate": AUTHENTICATE_CHALLENGE})


async def _on_forbidden(request: Request, exc: Exception) -> JSONResponse:
    problem = Problem(
        type=problem_type("forbidden"),
        title="Forbidden",
        status=HTTPStatus.FORBIDDEN,
        detail=str(exc),
        instance=request.url.path,
        code="forbidden",
    )
    return problem_response(problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    problem = Problem(
        type=problem_type("internal-error"),
        title="Internal error",
        status=HTTPStatus.INTERNAL_SERVER_ERROR,
        detail="Something went wrong on our side; it has been logged.",
        instance=request.url.path,
        code="internal-error",
    )
    return problem_response(problem)


def _retry_after() -> dict[str, str]:
    return {"Retry-After": str(RETRY_AFTER_SECONDS)}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with problem+json."""
    app.add_exception_handler(errors.DomainError, _on_domain_error)
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestTooLarge, _on_too_large)
    app.add_exception_handler(Unauthenticated, _on_unauthenticated)
    app.add_exception_handler(Forbidden, _on_forbidden)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    for exc_class in DATABASE_UNAVAILABLE:
        app.add_exception_handler(exc_class, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems an endpoint may answer."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
