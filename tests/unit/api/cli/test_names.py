"""The names ``--help`` shows are the registry's and the key store's own."""

from __future__ import annotations

from api.cli.names import ROLES, VIEW_NAMES
from api.storage.keys import ROLES as STORED_ROLES
from projections.registry import VIEW_NAMES as REGISTERED_VIEWS


def test_the_view_names_help_lists_are_the_registered_views_in_order() -> None:
    assert VIEW_NAMES == REGISTERED_VIEWS


def test_the_roles_help_lists_are_the_key_stores_roles_in_order() -> None:
    assert ROLES == STORED_ROLES
