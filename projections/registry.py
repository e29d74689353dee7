"""The views by name: the one list of what ``touchpoint`` projects."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from projections.cem.view import CemView
from projections.config import ViewConfig
from projections.cost.view import CostView
from projections.crm.view import CrmView
from projections.customer.index import Indexer
from projections.customer.view import CustomerView
from projections.runner import View

__all__ = ["VIEWS", "VIEW_NAMES", "UnknownView", "build_views", "check_view_name"]

VIEWS: dict[str, Callable[[ViewConfig], View]] = {
    "customer": CustomerView,
    "cost": CostView,
    "crm": CrmView,
    "cem": CemView,
}
VIEW_NAMES = tuple(VIEWS)


class UnknownView(ValueError):
    """A view name that is not one of ``VIEW_NAMES``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown view {name!r}; views are {', '.join(VIEW_NAMES)}")


def check_view_name(name: str) -> str:
    """``name`` if it names a view; else ``UnknownView``."""
    if name not in VIEWS:
        raise UnknownView(name)
    return name


def build_views(
    config: ViewConfig, names: Sequence[str] = VIEW_NAMES, *, indexer: Indexer | None = None
) -> list[View]:
    """The views named (default: all four), built with ``config``; the customer view
    keeps its search index with ``indexer`` (None: no index, e.g. for a replay)."""
    return [
        CustomerView(config, indexer)
        if name == "customer"
        else VIEWS[check_view_name(name)](config)
        for name in names
    ]
