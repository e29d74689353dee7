"""Builders and a harness shared by the cem view tests (this module holds no tests).

Every builder makes the command a client would send; the harness records them
through the real ledger, projects them with the real runner and queries the view.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import commands as c
from projections.cem.queries import cem_metrics, detractor_followups, insights
from projections.cem.view import CemView
from projections.config import ViewConfig
from projections.query import MetricQuery
from projections.runner import ProjectionRunner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, well in the past
DAY0 = T0.date()
H = timedelta(hours=1)
D = timedelta(days=1)


def call(sid: str, customer: str = "C1", at: datetime = T0, **fields: Any) -> c.RecordCall:
    """An answered call of 2 minutes talk (override any field)."""
    values: dict[str, Any] = {"queue": "billing", "agent_id": "a1", "reason": "bill"}
    values |= {"wait_seconds": 10, "outcome": "answered", "talk_seconds": 120}
    values |= fields
    return c.RecordCall(
        occurred_at=at, source="acd", source_id=sid, customer_ref=customer, **values
    )


def correct(sid: str, n: int = 1, customer: str = "C1", **fields: Any) -> c.CorrectCall:
    """Correction number ``n`` of call ``sid``."""
    return c.CorrectCall(
        occurred_at=T0 + 100 * D, source="wrapup", source_id=f"{sid}-fix-{n}",
        customer_ref=customer, call=c.Ref(source="acd", source_id=sid), **fields,
    )  # fmt: skip


def reply(
    sid: str, customer: str = "C1", at: datetime = T0 + H, about: str | None = None, **scores: Any
) -> c.RecordSurveyReply:
    """A reply (transactional unless ``survey_kind`` given), about call ``about`` if named."""
    ref = None if about is None else c.InteractionRef(kind="call", source="acd", source_id=about)
    scores.setdefault("survey_kind", "transactional")
    return c.RecordSurveyReply(
        occurred_at=at, source="survey", source_id=sid, customer_ref=customer, about=ref, **scores
    )


def campaign(cid: str = "K1") -> c.PlanCampaign:
    return c.PlanCampaign(
        occurred_at=T0 - 400 * D, source="crm", source_id=cid, campaign_id=cid,
        name=f"campaign {cid}", channel="email",
    )  # fmt: skip


def mailshot(sid: str, customer: str = "C1", at: datetime = T0, cid: str = "K1") -> c.Command:
    return c.RecordMailshotSent(
        occurred_at=at, source="print", source_id=sid, customer_ref=customer, campaign_id=cid,
        channel="email",
    )  # fmt: skip


def register(customer: str, segment: str | None) -> c.RegisterCustomer:
    return c.RegisterCustomer(
        occurred_at=T0 - 300 * D, source="crm", source_id=customer, customer_ref=customer,
        segment=segment,
    )  # fmt: skip


class CemHarness:
    """Record facts through the ledger, project the cem view, query it."""

    def __init__(self, services: Any, config: ViewConfig | None = None, page_size: int = 7):
        self.services = services
        self.config = config or ViewConfig()
        self.runner = ProjectionRunner(
            services.ledger, services.key_pool, [CemView(self.config)], page_size=page_size
        )

    def record(self, *cmds: c.Command) -> list[int]:
        """Record ``cmds`` in one batch and project them; their positions."""
        outcomes = self.services.ledger.record_batch(list(cmds), "test")
        assert [o.error for o in outcomes] == [None] * len(cmds)
        self.runner.catch_up("cem")
        return [o.position for o in outcomes]

    def query(self, fn: Any = cem_metrics, **kw: Any) -> list[dict[str, Any]]:
        kw.setdefault("date_from", DAY0 - 400 * D)
        kw.setdefault("date_to", DAY0 + 400 * D)
        with self.services.key_pool.connection() as conn:
            return list(fn(conn, MetricQuery(**kw), self.config))

    def metrics(self, **kw: Any) -> list[dict[str, Any]]:
        return self.query(cem_metrics, **kw)

    def total(self, **kw: Any) -> dict[str, Any]:
        [row] = self.metrics(**kw)
        return row

    def followups(self, **kw: Any) -> list[dict[str, Any]]:
        return self.query(detractor_followups, **kw)

    def insights(self, **kw: Any) -> list[dict[str, Any]]:
        return self.query(insights, **kw)

    def reply_rows(self) -> dict[int, dict[str, Any]]:
        """cem_replies by log position."""
        with self.services.key_pool.connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM cem_replies ORDER BY position")
            names = [col.name for col in cur.description or ()]
            return {row[1]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def daily_rows(self) -> list[tuple[Any, ...]]:
        with self.services.key_pool.connection() as conn:
            return sorted(conn.execute("SELECT * FROM cem_daily").fetchall(), key=repr)


def day(offset: int) -> date:
    return DAY0 + offset * D
