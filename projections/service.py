"""Running the projectors: every view built from config, fed by one runner in a thread."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg_pool import ConnectionPool

from domain.ledger import Ledger
from projections.config import ViewConfig
from projections.customer import CustomerView
from projections.runner import ProjectionRunner, View, conninfo

log = logging.getLogger(__name__)
VIEW_NAMES = ("customer", "cost", "crm", "cem")
# Metric views, imported lazily: module and the class names it may use.
METRIC_VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cost": ("projections.cost", ("CostView",)),
    "crm": ("projections.crm", ("CrmView", "CRMView")),
    "cem": ("projections.cem", ("CemView", "CEMView")),
}


class HasLedger(Protocol):
    """What the projectors need from the process's services (``api.wiring.Services``)."""

    @property
    def ledger(self) -> Ledger: ...

    @property
    def key_pool(self) -> ConnectionPool: ...


def build_views(config: ViewConfig, names: Sequence[str] = VIEW_NAMES) -> list[View]:
    """The views named (default: all four) that can be built; missing ones are logged."""
    views: list[View] = []
    for name in names:
        view = _build_view(name, config)
        if view is None:
            log.warning("view %s is not available in this build; not projecting it", name)
        else:
            views.append(view)
    return views


def _build_view(name: str, config: ViewConfig) -> View | None:
    if name == "customer":
        return CustomerView(config)
    if name not in METRIC_VIEWS:
        msg = f"unknown view {name!r}; views are {', '.join(VIEW_NAMES)}"
        raise ValueError(msg)
    module_name, class_names = METRIC_VIEWS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise  # the view exists but something it needs is missing: say so
        return None
    for class_name in class_names:
        cls: Any = getattr(module, class_name, None)
        if cls is not None:
            return cls(config)  # type: ignore[no-any-return]
    return None


def build_runner(
    services: HasLedger,
    config: ViewConfig,
    page_size: int = 1000,
    names: Sequence[str] = VIEW_NAMES,
) -> ProjectionRunner:
    """A runner over the ledger's log feeding the views named."""
    return ProjectionRunner(
        services.ledger, services.key_pool, build_views(config, names), page_size=page_size
    )


@dataclass
class ProjectorHandle:
    """A runner following the log in a daemon thread; ``stop()`` ends it."""

    runner: ProjectionRunner
    thread: threading.Thread
    stopping: threading.Event
    pool: ConnectionPool

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the runner to stop and wait (bounded) for its thread to end."""
        self.stopping.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("projector thread did not stop within %.0f s", timeout)
        else:
            self.pool.close()

    @property
    def running(self) -> bool:
        return self.thread.is_alive()


def start_projectors(
    services: HasLedger,
    config: ViewConfig,
    page_size: int = 1000,
    names: Sequence[str] = VIEW_NAMES,
    poll_seconds: float = 1.0,
) -> ProjectorHandle:
    """Start following the log in a background (daemon) thread; stop with ``handle.stop()``.

    The projectors get a connection pool of their own (one connection per view, as views
    are applied concurrently), so that they never starve the API of connections.
    """
    views = build_views(config, names)
    pool = ConnectionPool(
        conninfo(services.key_pool),
        min_size=1,
        max_size=len(views) + 1,
        # Checked when taken: after a database restart, each stale connection would
        # otherwise fail once and double the runner's back-off (up to 30 s of lag).
        check=ConnectionPool.check_connection,
        open=True,
    )
    runner = ProjectionRunner(services.ledger, pool, views, page_size=page_size)
    stopping = threading.Event()
    thread = threading.Thread(
        target=runner.run,
        args=(stopping, poll_seconds),
        name="touchpoint-projectors",
        daemon=True,
    )
    thread.start()
    log.info("projecting views: %s", ", ".join(runner.views))
    return ProjectorHandle(runner, thread, stopping, pool)
