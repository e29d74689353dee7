"""Finding customers (agents): search by phone, e-mail, name or reference, and screen pop.

Searched values never reach the database or a log: each is normalised
(``api.storage.matching``) and turned into blind-index tokens under the index key
(``api.storage.blind_index``); the customer view matches tokens. A search is logged
with the keys it used and how many customers it found, never a value (and the access
line has no query string). Results show personal values masked only.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from psycopg import Connection

from api.storage.blind_index import BlindIndex
from api.storage.callers import best_callers, caller_links
from api.storage.matching import mask_name, mask_phone
from api.storage.vault import SnapshotVault
from api.web.deps import Agent, ServicesDep
from api.web.problems import ProblemError, problem_error, problem_responses, problem_type
from api.web.reading import ProblemRoute, invalid, not_found, view_behind_response, wait_for_view
from api.web.schemas.customer_search import CustomerMatch, SearchPage, SeveralCustomersProblem
from api.web.schemas.params import MinPosition
from projections.customer.search import Found, SearchFilter, find_customers
from projections.tracking import snapshot, view_position

__all__ = ["router"]

log = logging.getLogger(__name__)
VIEW = "customer"
MAX_PAGE = 100
MAX_OFFSET = 10_000

Value = Annotated[str | None, Query(min_length=1, max_length=200)]
PhoneParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=40,
        description="A phone number in any usual writing (+44 7700 900123, 0044..., "
        "07700 900123 in the default country) or its last 9+ digits.",
        examples=["+447700900123"],
    ),
]


def _index(services: ServicesDep) -> BlindIndex:
    if services.index is None:
        detail = "the customer search has no index key (TOUCHPOINT_INDEX_KEY)"
        raise problem_error(503, "search-unavailable", detail)
    return services.index


def _filter(
    index: BlindIndex, phone: str | None, email: str | None, name: str | None
) -> SearchFilter:
    tokens: dict[str, tuple[bytes, ...]] = {}
    parts = {"phone": (phone, index.phone_tokens), "email": (email, index.email_tokens)}
    parts["name"] = (name, index.name_tokens)
    reasons = {
        "phone": "not a phone number: give a number in E.164 or national form, or 9+ digits",
        "email": "not an e-mail address",
        "name": "no word to search",
    }
    for key, (value, make) in parts.items():
        if value is not None:
            found = make(value)
            if found is None:
                raise invalid(key, reasons[key])
            tokens[key] = found
    return SearchFilter(tokens.get("phone", ()), tokens.get("email", ()), tokens.get("name", ()))


def _match(conn: Connection[Any], services: ServicesDep, found: Found) -> CustomerMatch:
    name = phone = None
    details = found.details
    if details is not None and not found.erased:
        keyring = SnapshotVault(conn, services.keks).keyring([found.customer_ref], create=False)
        if details.name is not None and (opened := keyring.open(found.customer_ref, details.name)):
            name = mask_name(opened)
        if details.phone is not None and (
            opened := keyring.open(found.customer_ref, details.phone)
        ):
            phone = mask_phone(opened, services.settings.default_country)
    return CustomerMatch(
        customer_ref=found.customer_ref,
        name=name,
        phone=phone,
        segment=found.segment,
        registered=found.registered,
        erased=found.erased,
        last_contact=found.last_contact,
        linked_callers=caller_links(conn, found.customer_ref),
    )


def search_customers(
    principal: Agent,
    services: ServicesDep,
    *,
    phone: PhoneParam = None,
    email: Value = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Whole words in any order, any case or accents; the last may be "
            "the first 3+ letters of a word.",
            examples=["okafor marg"],
        ),
    ] = None,
    ref: Annotated[str | None, Query(min_length=1, max_length=200, description="Any case.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size.")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Matches skipped.")] = 0,
    min_position: MinPosition = None,
) -> SearchPage:
    """Customers matching every key given (AND), newest contact first, personal values masked.

    Phone numbers are compared in E.164 (`TOUCHPOINT_DEFAULT_COUNTRY` for national
    ones) or by their last 9+ digits; e-mail addresses trimmed and in any case; names
    by whole words in any order, case and accents ignored, the last word possibly a
    prefix of 3+ letters; references in any case. Erased customers are found by
    reference only. Nothing searched is logged.
    """
    keys = [k for k, v in (("phone", phone), ("email", email), ("name", name)) if v is not None]
    if not keys and ref is None:
        raise invalid("phone", "give at least one of phone, email, name, ref")
    match = SearchFilter(ref=ref)
    if keys:
        match = _filter(_index(services), phone, email, name)
        match = SearchFilter(match.phone, match.email, match.name, ref)
    wait_for_view(services, VIEW, min_position)
    with snapshot(services.reads) as conn:
        found, more = find_customers(conn, match, limit=limit, offset=offset)
        items = [_match(conn, services, row) for row in found]
        position = view_position(conn, VIEW)
    log.info(
        "customer search",
        extra={"search_keys": [*keys, *(["ref"] if ref else [])], "matches": len(items)},
    )
    return SearchPage(
        items=items, next_offset=offset + limit if more else None, view_position=position
    )


def lookup_caller(
    principal: Agent,
    services: ServicesDep,
    phone: Annotated[str, Query(min_length=1, max_length=40, examples=["+447700900123"])],
    min_position: MinPosition = None,
) -> CustomerMatch:
    """Screen pop: the one customer with this number (fast enough for every ringing call).

    The best match is an exact E.164 match; only if there is none, a match by the
    last 9+ digits. 404 if nobody has the number; 300 (problem listing the references)
    if several customers do. Nothing searched is logged.
    """
    index = _index(services)
    if index.phone_tokens(phone) is None:
        raise invalid("phone", "not a phone number")
    wait_for_view(services, VIEW, min_position)
    with snapshot(services.reads) as conn:
        found = best_callers(conn, index, phone)
        match = _match(conn, services, found[0]) if len(found) == 1 else None
    log.info("caller lookup", extra={"matches": len(found)})
    if match is not None:
        return match
    if not found:
        raise not_found("caller-not-found", "no customer has this phone number")
    raise several_customers([row.customer_ref for row in found])


def several_customers(refs: list[str]) -> ProblemError:
    """300: several customers share the number (their references, for the agent to pick)."""
    code = "several-customers"
    problem = SeveralCustomersProblem(
        type=problem_type(code),
        title="Several customers",
        status=300,
        code=code,
        detail=f"{len(refs)} customers have this phone number: pick one",
        customers=refs,
    )
    return ProblemError(problem)


_SEVERAL = {
    "type": "https://touchpoint.dev/problems/several-customers",
    "title": "Several customers",
    "status": 300,
    "detail": "2 customers have this phone number: pick one",
    "code": "several-customers",
    "customers": ["C-000007", "C-000010"],
}
MATCH = {
    "customer_ref": "C-000007",
    "name": "M*** O***",
    "phone": "+44*******123",
    "segment": "retail",
    "registered": True,
    "erased": False,
    "last_contact": "2026-03-10T09:12:00Z",
    "linked_callers": [],
}


def _example(value: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"example": value}}}


def router() -> APIRouter:
    """``GET /customers`` (search) and ``GET /customers/lookup`` (screen pop), role agent.

    Included before ``/customers/{ref}``, so ``lookup`` is never read as a reference.
    """
    routes = APIRouter(route_class=ProblemRoute, tags=["agents"])
    errors = {**problem_responses(401, 403, 422, 503), **view_behind_response()}
    routes.add_api_route(
        "/customers",
        search_customers,
        methods=["GET"],
        summary="Find customers by phone, e-mail, name or reference",
        response_model=SearchPage,
        responses={
            200: _example({"items": [MATCH], "next_offset": None, "view_position": 1200}),
            **errors,
        },
    )
    several = {
        "model": SeveralCustomersProblem,
        "description": "Several customers have this number (their references listed)",
        "content": {"application/problem+json": {"example": _SEVERAL}},
    }
    routes.add_api_route(
        "/customers/lookup",
        lookup_caller,
        methods=["GET"],
        summary="Screen pop: the customer with this phone number",
        response_model=CustomerMatch,
        responses={200: _example(MATCH), **errors, **problem_responses(404), 300: several},
    )
    return routes
