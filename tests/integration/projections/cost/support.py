"""Builders and helpers shared by the cost view tests (no tests of its own)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import psycopg

from domain import commands as c
from projections.config import ViewConfig
from projections.cost.queries import cost_metrics
from projections.cost.view import CostView
from projections.query import MetricQuery
from projections.runner import ProjectionRunner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = T0.date()
LATER = T0 + timedelta(days=60)  # an `at` when every window in these tests has closed
_ids = count(1)


def call(**over: Any) -> c.RecordCall:
    """An answered call (talk 100 s, wait 10 s) unless ``over`` says otherwise."""
    fields: dict[str, Any] = {
        "occurred_at": T0,
        "source": "acd",
        "source_id": f"call-{next(_ids)}",
        "customer_ref": "C1",
        "queue": "billing",
        "agent_id": "A1",
        "reason": "bill",
        "wait_seconds": 10,
        "outcome": "answered",
        "talk_seconds": 100,
    }
    fields |= over
    if fields["outcome"] == "abandoned" and "talk_seconds" not in over:
        fields["talk_seconds"] = 0
    return c.RecordCall.model_validate(fields)


def abandoned(wait: int, **over: Any) -> c.RecordCall:
    """An abandoned call after ``wait`` seconds."""
    return call(outcome="abandoned", wait_seconds=wait, **over)


def correction(of: c.RecordCall, **amended: Any) -> c.CorrectCall:
    """A correction of ``of`` changing the ``amended`` fields."""
    return c.CorrectCall.model_validate(
        {
            "occurred_at": of.occurred_at + timedelta(hours=1),
            "source": "wrap-up",
            "source_id": f"fix-{next(_ids)}",
            "customer_ref": of.customer_ref,
            "call": {"source": of.source, "source_id": of.source_id},
            **amended,
        }
    )


def record(services: Any, *cmds: c.Command) -> None:
    """Record ``cmds`` in one batch; every one must be recorded."""
    outcomes = services.ledger.record_batch(list(cmds), "test")
    assert [o.error for o in outcomes] == [None] * len(cmds)


def runner(services: Any, config: ViewConfig | None = None, page_size: int = 100) -> Any:
    """A runner of the cost view alone."""
    view = CostView(config or ViewConfig())
    return ProjectionRunner(services.ledger, services.key_pool, [view], page_size=page_size)


def project(services: Any, config: ViewConfig | None = None, page_size: int = 100) -> None:
    """Catch the cost view up with the log."""
    runner(services, config, page_size).catch_up("cost")


def metrics(
    services: Any,
    *,
    config: ViewConfig | None = None,
    group_by: tuple[str, ...] = (),
    filters: dict[str, str] | None = None,
    date_from: date = DAY - timedelta(days=30),
    date_to: date = DAY + timedelta(days=60),
    at: datetime = LATER,
) -> list[dict[str, Any]]:
    """``cost_metrics`` of the cost view over a range holding every test call."""
    query = MetricQuery(date_from, date_to, group_by, filters or {}, at)
    with services.key_pool.connection() as conn:
        return cost_metrics(conn, query, config or ViewConfig())


def total(services: Any, **kw: Any) -> dict[str, Any]:
    """The single ungrouped row of ``metrics``."""
    [row] = metrics(services, **kw)
    return row


def table(url: str, statement: str) -> list[tuple[Any, ...]]:
    """Rows of a fixed SQL statement on the view tables (for inspection)."""
    with psycopg.connect(url) as conn:
        return conn.execute(statement).fetchall()
