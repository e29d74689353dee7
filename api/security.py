"""Who may call what: API keys from the ``X-API-Key`` or ``Authorization: Bearer`` header.

Routes declare the roles they admit with ``Annotated`` aliases, e.g.
``principal: AgentOrIntegrator``. A missing or unknown key is 401, a key whose
role is not admitted is 403 (both problem+json).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth import KeyStore, Principal, Role

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key")
_bearer = HTTPBearer(auto_error=False, description="API key as a bearer token")


class Unauthenticated(Exception):
    """No key, or a key that is unknown or revoked (401)."""


class Forbidden(Exception):
    """A valid key whose role may not do this (403)."""

    def __init__(self, role: Role, allowed: tuple[Role, ...]) -> None:
        super().__init__(f"role {role} may not do this; allowed: {', '.join(allowed)}")


def get_key_store(request: Request) -> KeyStore:
    """The key store of this process (``app.state.keys``)."""
    return cast(KeyStore, request.app.state.keys)


KeyStoreDep = Annotated[KeyStore, Depends(get_key_store)]


def authenticate(
    keys: KeyStoreDep,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller's principal; 401 if there is no valid key."""
    token = api_key or (bearer.credentials if bearer else None)
    principal = keys.authenticate(token) if token else None
    if principal is None:
        raise Unauthenticated("a valid API key is required (X-API-Key header)")
    return principal


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only ``roles``."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(principal.role, roles)
        return principal

    return check


Agent = Annotated[Principal, Depends(require("agent"))]
Analyst = Annotated[Principal, Depends(require("analyst"))]
Auditor = Annotated[Principal, Depends(require("auditor"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Recorder = Annotated[Principal, Depends(require("agent", "integrator"))]
Integrator = Annotated[Principal, Depends(require("integrator"))]
Operator = Annotated[Principal, Depends(require("auditor", "admin"))]
