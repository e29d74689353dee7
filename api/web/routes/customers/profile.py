"""The single customer view over HTTP (agents): who the customer is, and their timeline.

Personal fields are decrypted with the customer's data key at read time; after
erasure they read as erased. Reads use one repeatable-read snapshot, so every part
of an answer (and its ``view_position``) is as of the same view position.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.storage.vault import SnapshotVault
from api.web.deps import Agent, ServicesDep
from api.web.problems import problem_responses
from api.web.reading import (
    ProblemRoute,
    invalid,
    not_found,
    view_behind_response,
    wait_for_view,
)
from api.web.schemas import read_examples
from api.web.schemas.params import (
    CustomerRef,
    Digits,
    EntryPosition,
    MinPosition,
    ReferenceTime,
)
from projections.customer.as_of import customer_as_of, parse_as_of
from projections.customer.models import CustomerProfile, Interaction, PersonalState
from projections.customer.queries import UnknownCursor, customer_profile, is_known, timeline
from projections.tracking import snapshot, view_position

VIEW = "customer"
MAX_TIMELINE_PAGE = 200

At = Annotated[
    ReferenceTime | None,
    Query(
        description="Reference time of the time windows (calls in the last 7 days and "
        "repeat contact, mailshots in the last 30 days, the 14 days of why they may be "
        "calling, detractor follow-up open or expired); default now. It is not a view of "
        "the past: lifetime counts, last contact, the interactions, latest NPS and lifetime "
        "cost include every fact the view holds, later ones too. For the customer as they "
        "stood at a past point, use `as_of` (with `at` defaulting to it).",
        examples=["2026-03-10T12:00:00Z"],
    ),
]

AsOfParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Rebuild the view as it stood at this point of the log, from the log: a "
        "log position, or an ISO 8601 time (facts recorded at or before it; recording "
        "time, not when they happened). `at` then defaults to that time (for a position: "
        "when it was recorded). Personal fields use today's keys: erased since reads erased.",
        examples=["1200", "2026-03-10T12:00:00Z"],
    ),
]


class TimelineResponse(BaseModel):
    """One page of a customer's interactions, newest first."""

    customer_ref: str
    items: list[Interaction]
    next_after: int | None = Field(
        description="Pass as `after` for the next page (older interactions); null: no more."
    )
    previous_before: int | None = Field(
        description="Pass as `before` for the previous page (newer interactions); "
        "null: this page starts with the newest."
    )
    personal_data: PersonalState
    view_position: int = Field(description="Log position the customer view had applied.")


def get_customer(
    principal: Agent,
    services: ServicesDep,
    ref: CustomerRef,
    min_position: MinPosition = None,
    at: At = None,
    *,
    as_of: AsOfParam = None,
) -> CustomerProfile:
    """The single customer view: profile (personal fields decrypted, or marked erased),
    segment, consent, counts, last contact, the last 50 interactions newest first, latest
    NPS, open detractors, repeat-contact flag, mailshot pressure, lifetime handled cost and
    why they may be calling.

    A customer named by facts but not registered yet has an unregistered profile
    (`registered: false`); a customer no fact names is 404. With `as_of`, the view as it
    stood then, rebuilt from the log (404 if no fact recorded by then names the customer).
    """
    if as_of is not None:
        profile = _as_of(services, ref, as_of, at, min_position)
    else:
        wait_for_view(services, VIEW, min_position)
        with snapshot(services.reads) as conn:
            profile = customer_profile(
                conn, SnapshotVault(conn, services.keks), ref, services.view_config, at
            )
    if profile is None:
        raise not_found("customer-not-found", "no fact names this customer")
    return profile


def get_timeline(
    principal: Agent,
    services: ServicesDep,
    *,
    ref: CustomerRef,
    after: Annotated[
        EntryPosition | None,
        Query(
            description="Cursor: the `next_after` of the page before; this page holds the "
            "interactions listed after it (older).",
        ),
    ] = None,
    before: Annotated[
        EntryPosition | None,
        Query(
            description="Cursor: the `previous_before` of the page after; this page holds the "
            "interactions listed before it (newer), nearest first in the listing order.",
        ),
    ] = None,
    limit: Annotated[
        int, Field(ge=1, le=MAX_TIMELINE_PAGE), Digits, Query(description="Page size.")
    ] = 50,
    min_position: MinPosition = None,
) -> TimelineResponse:
    """The customer's full timeline, newest first, paged by position cursors.

    Interactions (calls, mailshots, survey replies) are listed newest first by when they
    happened (`occurred_at`, ties by log position). A cursor is the log position of an
    interaction already shown: `after=<next_after>` gives the next page (older),
    `before=<previous_before>` the previous one (newer). Without a cursor the page starts
    with the newest interaction. Cursors stay valid as new interactions arrive (a late
    arrival is placed by when it happened). A position that is not one of this customer's
    interactions is 422.
    """
    if after is not None and before is not None:
        raise invalid("before", "give either `after` or `before`, not both")
    wait_for_view(services, VIEW, min_position)
    with snapshot(services.reads) as conn:
        if not is_known(conn, ref):
            raise not_found("customer-not-found", "no fact names this customer")
        try:
            page = timeline(
                conn,
                SnapshotVault(conn, services.keks),
                ref,
                before=after,
                after=before,
                limit=limit,
            )
        except UnknownCursor as error:
            raise invalid(
                "after" if after is not None else "before", str(error), "unknown_cursor"
            ) from error
        position = view_position(conn, VIEW)
    return TimelineResponse(
        customer_ref=ref,
        items=page.items,
        next_after=page.older,
        previous_before=page.newer,
        personal_data=page.personal_data,
        view_position=position,
    )


def _as_of(
    services: ServicesDep, ref: str, text: str, at: datetime | None, min_position: int | None
) -> CustomerProfile | None:
    """The profile rebuilt from the log as of ``text`` (a position or a time)."""
    if min_position is not None:
        raise invalid("min_position", "`as_of` reads the log itself: no view to wait for")
    try:
        point = parse_as_of(text)
    except ValueError as error:
        raise invalid("as_of", str(error)) from error
    with services.key_pool.connection() as conn:
        config = services.view_config
        return customer_as_of(
            conn,
            services.ledger,
            SnapshotVault(conn, services.keks),
            ref,
            config,
            as_of=point,
            at=at,
        )


def _example(value: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"example": value}}}


def router() -> APIRouter:
    """``GET /customers/{ref}`` and ``GET /customers/{ref}/timeline`` (role agent)."""
    routes = APIRouter(route_class=ProblemRoute, tags=["agents"])
    errors = {**problem_responses(401, 403, 404, 422), **view_behind_response()}
    routes.add_api_route(
        "/customers/{ref}",
        get_customer,
        methods=["GET"],
        summary="The single customer view",
        response_model=CustomerProfile,
        responses={200: _example(read_examples.profile()), **errors},
    )
    routes.add_api_route(
        "/customers/{ref}/timeline",
        get_timeline,
        methods=["GET"],
        summary="A customer's timeline, newest first, paged by position",
        response_model=TimelineResponse,
        responses={200: _example(read_examples.timeline()), **errors},
    )
    return routes
