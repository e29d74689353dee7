"""Who may call what: the refusals of authentication and of authorisation.

The dependencies that apply them (``Agent``, ``Analyst``, ...) are in
``api.web.deps``. A missing or unknown key is 401, a key whose role is not
admitted is 403 (both problem+json, ``api.web.problems``).
"""

from __future__ import annotations

from api.storage.keys import KeyStore, Principal, Role

__all__ = ["Forbidden", "Unauthenticated", "check_role", "principal_for"]


class Unauthenticated(Exception):
    """No key, or a key that is unknown or revoked (401)."""


class Forbidden(Exception):
    """A valid key whose role may not do this (403)."""

    def __init__(self, role: Role, allowed: tuple[Role, ...]) -> None:
        super().__init__(f"role {role} may not do this; allowed: {', '.join(allowed)}")


def principal_for(keys: KeyStore, token: str | None) -> Principal:
    """The principal of the key ``token``; ``Unauthenticated`` if there is no valid key."""
    principal = keys.authenticate(token) if token else None
    if principal is None:
        raise Unauthenticated("a valid API key is required (X-API-Key header)")
    return principal


def check_role(principal: Principal, roles: tuple[Role, ...]) -> Principal:
    """``principal`` if its role is one of ``roles``; else ``Forbidden``."""
    if principal.role not in roles:
        raise Forbidden(principal.role, roles)
    return principal
