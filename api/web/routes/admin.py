"""Admins: erase a customer's personal data, rebuild a view.

Erasure is done when the answer comes (200): the customer's data key is
destroyed, then ``CustomerErased`` is recorded with the admin key as author;
asking again answers 200 with the original position. A rebuild runs in the
background (202, with the status URL to follow it), into a copy of the view that
is switched in once caught up.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.bootstrap import Services
from api.web.deps import Admin, CheckedServicesDep, LedgerDep, RebuildsDep
from api.web.problems import problem_error, problem_responses
from api.web.reading import check_view
from api.web.rebuilds import Work
from api.web.schemas.params import CustomerRef, ViewName
from projections.rebuild import RebuildStopped, rebuild_by_switch

log = logging.getLogger(__name__)


class Erased(BaseModel):
    """The erasure as recorded (``duplicate``: the customer was erased before)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_ref": "C-1001",
                    "status": "recorded",
                    "position": 2077,
                    "stream_id": "0b8e6a4c-98f1-5d7e-8b0a-3c2d1e4f5a67",
                }
            ]
        }
    )

    customer_ref: str
    status: Literal["recorded", "duplicate"]
    position: int = Field(description="Log position of the `CustomerErased` fact.")
    stream_id: UUID = Field(description="The customer's stream.")


class RebuildStarted(BaseModel):
    """A rebuild is under way; follow it at ``status_url``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"view": "cost", "status": "started", "status_url": "/views/cost/status"}]
        }
    )

    view: str
    status: Literal["started"] = "started"
    status_url: str = Field(description="GET it (auditor or admin) for position and lag.")


def erase_personal_data(
    principal: Admin,
    ledger: LedgerDep,
    ref: CustomerRef,
    reason: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", examples=["GDPR"]),
    ] = None,
) -> Erased:
    """Destroy the customer's data key and record the erasure (crypto-shredding)."""
    outcome = ledger.erase_customer(ref, principal.author, reason)
    assert outcome.position is not None
    assert outcome.stream_id is not None
    status: Literal["recorded", "duplicate"] = (
        "duplicate" if outcome.status == "duplicate" else "recorded"
    )
    return Erased(
        customer_ref=ref, status=status, position=outcome.position, stream_id=outcome.stream_id
    )


def rebuild_view(
    principal: Admin,
    services: CheckedServicesDep,
    rebuilds: RebuildsDep,
    response: Response,
    name: ViewName,
) -> RebuildStarted:
    """Start rebuilding one view from position 0 in the background; 409 if one is running.

    The view is rebuilt into a copy and switched in once the copy has caught up: it
    keeps serving its current rows meanwhile.
    """
    check_view(name)
    if not rebuilds.start(name, _rebuild_work(services, name, principal.author)):
        raise problem_error(409, "rebuild-in-progress", f"the {name} view is being rebuilt")
    status_url = f"/views/{name}/status"
    response.headers["Location"] = status_url
    return RebuildStarted(view=name, status_url=status_url)


def _rebuild_work(services: Services, name: str, author: str) -> Work:
    def work(stop: threading.Event) -> int:
        runner = services.runner([name])
        config = services.view_config
        try:
            return rebuild_by_switch(runner, name, config=config, author=author, stop=stop)
        except RebuildStopped:
            log.info("rebuild of view %s stopped with the process; the view is unchanged", name)
            return runner.position(name)

    return work


def router() -> APIRouter:
    """The admins' endpoints."""
    routes = APIRouter(tags=["admins"])
    routes.add_api_route(
        "/customers/{ref}/personal-data",
        erase_personal_data,
        methods=["DELETE"],
        summary="Erase a customer's personal data",
        description="Role: admin. Personal fields of every fact of the customer become "
        "unreadable at once; the facts stay. Asking again answers with the original position.",
        responses=problem_responses(401, 403, 422, 503),
    )
    routes.add_api_route(
        "/views/{name}/rebuild",
        rebuild_view,
        methods=["POST"],
        status_code=HTTPStatus.ACCEPTED,
        summary="Rebuild a view from the log",
        description="Role: admin. The other views keep serving; follow it at `status_url`.",
        responses=problem_responses(401, 403, 404, 409, 422, 503),
    )
    return routes
