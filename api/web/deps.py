"""Every dependency of the routes, as ``Annotated`` aliases defined once.

``create_app(services)`` puts the process's objects on ``app.state``; the
providers here hand them to routes. Tests build the app with their own
``Services`` instead of patching anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.bootstrap import Services
from api.storage.keys import KeyStore, Principal, Role
from api.web.rebuilds import Rebuilds
from api.web.security import check_role, principal_for
from domain.ledger import Ledger

__all__ = [
    "Admin",
    "Agent",
    "Analyst",
    "Auditor",
    "CheckedServicesDep",
    "ContactAsker",
    "Integrator",
    "KeyStoreDep",
    "LedgerDep",
    "Operator",
    "PageReader",
    "PolicyReader",
    "ReasonReader",
    "RebuildsDep",
    "Recorder",
    "ServicesDep",
]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")


def get_services(request: Request) -> Services:
    """The process's services, put on the app by ``create_app``."""
    return cast(Services, request.app.state.services)


ServicesDep = Annotated[Services, Depends(get_services)]


def get_checked_services(services: ServicesDep) -> Services:
    """The services, once the database answered a plain query (else 503 at once).

    The library's reads and writes retry ten times on a lost connection, so without
    this check an outage would take tens of seconds to become a 503.
    """
    services.check_database()
    return services


CheckedServicesDep = Annotated[Services, Depends(get_checked_services)]


def get_ledger(services: CheckedServicesDep) -> Ledger:
    """The ledger of this process (the database checked first)."""
    return services.ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


def get_key_store(request: Request) -> KeyStore:
    """The key store of this process."""
    return cast(Services, request.app.state.services).keys


KeyStoreDep = Annotated[KeyStore, Depends(get_key_store)]


def get_rebuilds(request: Request) -> Rebuilds:
    """The view rebuilds running in this process."""
    return cast(Rebuilds, request.app.state.rebuilds)


RebuildsDep = Annotated[Rebuilds, Depends(get_rebuilds)]


def authenticate(
    keys: KeyStoreDep,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal; 401 if there is no valid key."""
    return principal_for(keys, api_key or (bearer.credentials if bearer else None))


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only ``roles``."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        return check_role(principal, roles)

    return check


Agent = Annotated[Principal, Depends(require("agent"))]
Analyst = Annotated[Principal, Depends(require("analyst"))]
Auditor = Annotated[Principal, Depends(require("auditor"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Recorder = Annotated[Principal, Depends(require("agent", "integrator"))]
Integrator = Annotated[Principal, Depends(require("integrator"))]
Operator = Annotated[Principal, Depends(require("auditor", "admin"))]
ReasonReader = Annotated[Principal, Depends(require("agent", "analyst", "admin"))]
ContactAsker = Annotated[Principal, Depends(require("agent", "integrator"))]
"""Who asks whether a customer may be contacted: a desktop, a campaign tool."""
PolicyReader = Annotated[Principal, Depends(require("agent", "analyst", "integrator", "admin"))]
PageReader = Annotated[Principal, Depends(require("agent", "analyst", "admin"))]
"""The pages' users: their display settings."""
