"""``GET /health``: the process runs and the database answers (operators, no key)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.web.deps import CheckedServicesDep
from api.web.problems import problem_responses

__all__ = ["Health", "router"]


class Health(BaseModel):
    """The database answered; ``position`` is the head of the log."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok", "position": 1042}]})

    status: Literal["ok"] = "ok"
    position: int = Field(ge=0, description="Highest log position (0 when empty).")


def health(services: CheckedServicesDep) -> Health:
    """Answers only if the database does; gives the head position of the log."""
    return Health(position=services.ledger.head_position())


def router() -> APIRouter:
    """``GET /health`` (public)."""
    routes = APIRouter()
    routes.add_api_route(
        "/health",
        health,
        methods=["GET"],
        tags=["operators"],
        summary="The database answers",
        description="Public (no key): the process runs and the database answers.",
        responses=problem_responses(503),
    )
    return routes
