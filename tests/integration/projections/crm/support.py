"""Helpers of the crm view tests (no tests here): record CRM facts, project, query."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from domain import commands as c
from projections.config import ViewConfig
from projections.crm.queries import contact_pressure, crm_metrics
from projections.crm.view import CrmView
from projections.query import MetricQuery
from projections.runner import ProjectionRunner

JAN_1 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
SHOP = "print-house"


def jan(n: int, **later: float) -> datetime:
    """09:00 UTC on 2026-01-``n`` (n may run past 31), plus ``later``."""
    return JAN_1 + timedelta(days=n - 1, **later)


def jan_day(n: int) -> date:
    return jan(n).date()


class Crm:
    """Records CRM facts through the ledger (unique source ids), projects, queries."""

    def __init__(self, services: Any, config: ViewConfig | None = None) -> None:
        self.services = services
        self.config = config or ViewConfig()
        self.ids = itertools.count(1)
        self.recipients: dict[str, str] = {}

    def _record(self, model: type[c.Command], **fields: Any) -> int:
        fields.setdefault("source", SHOP)
        fields.setdefault("source_id", f"f-{next(self.ids)}")
        return self.services.ledger.record(model.model_validate(fields), "test").position

    def plan(
        self,
        campaign: str,
        *,
        channel: str = "email",
        fixed: str = "0",
        window: int = 30,
        when: datetime = JAN_1,
    ) -> int:
        return self._record(
            c.PlanCampaign,
            occurred_at=when,
            campaign_id=campaign,
            name=campaign,
            channel=channel,
            fixed_cost=fixed,
            attribution_window_days=window,
        )

    def register(self, customer: str, segment: str | None, when: datetime = JAN_1) -> int:
        return self._record(
            c.RegisterCustomer, occurred_at=when, customer_ref=customer, segment=segment
        )

    def send(
        self,
        mailshot: str,
        customer: str,
        campaign: str,
        when: datetime,
        *,
        cost: str = "1.00",
        channel: str = "email",
    ) -> int:
        self.recipients[mailshot] = customer
        return self._record(
            c.RecordMailshotSent,
            source_id=mailshot,
            occurred_at=when,
            customer_ref=customer,
            campaign_id=campaign,
            channel=channel,
            unit_cost=cost,
        )

    def hold(
        self, mailshot: str, customer: str, campaign: str, when: datetime, *, channel: str = "email"
    ) -> int:
        self.recipients[mailshot] = customer
        return self._record(
            c.RecordMailshotHeldBack,
            source_id=mailshot,
            occurred_at=when,
            customer_ref=customer,
            campaign_id=campaign,
            channel=channel,
        )

    def _follow(self, model: type[c.Command], mailshot: str, when: datetime, **more: Any) -> int:
        ref = {"source": SHOP, "source_id": mailshot}
        return self._record(
            model, occurred_at=when, customer_ref=self.recipients[mailshot], mailshot=ref, **more
        )

    def bounce(self, mailshot: str, when: datetime) -> int:
        return self._follow(c.RecordMailshotBounced, mailshot, when)

    def deliver(self, mailshot: str, when: datetime) -> int:
        return self._follow(c.RecordMailshotDelivered, mailshot, when)

    def respond(self, mailshot: str, when: datetime) -> int:
        return self._follow(c.RecordMailshotResponded, mailshot, when, how="web")

    def convert(self, mailshot: str, when: datetime, value: str) -> int:
        return self._follow(c.RecordMailshotConverted, mailshot, when, value=value)

    def consent(self, customer: str, channel: str, when: datetime, granted: bool = False) -> int:
        return self._record(
            c.ChangeMarketingConsent,
            occurred_at=when,
            customer_ref=customer,
            channel=channel,
            granted=granted,
        )

    def runner(self, page_size: int = 1000) -> ProjectionRunner:
        view = CrmView(self.config)
        return ProjectionRunner(self.services.ledger, self.services.key_pool, [view], page_size)

    def project(self, page_size: int = 1000) -> int:
        return self.runner(page_size).catch_up("crm")

    def query(
        self,
        group_by: tuple[str, ...] = (),
        filters: Mapping[str, str] | None = None,
        first: date = date(2025, 12, 1),
        last: date = date(2026, 3, 31),
        at: datetime | None = None,
    ) -> MetricQuery:
        return MetricQuery(first, last, group_by, dict(filters or {}), at)

    def metrics(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        with psycopg.connect(self.services.database_url) as conn:
            return crm_metrics(conn, self.query(*args, **kwargs), self.config)

    def total(self, **kwargs: Any) -> dict[str, Any]:
        [row] = self.metrics(**kwargs)
        return row

    def pressure(
        self,
        first: date,
        last: date,
        at: datetime | None = None,
        group_by: tuple[str, ...] = ("day",),
    ) -> dict[date, Any]:
        with psycopg.connect(self.services.database_url) as conn:
            query = self.query(group_by, first=first, last=last, at=at)
            rows = contact_pressure(conn, query, self.config)
        return {row["day"]: row for row in rows}

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.services.database_url) as conn:
            return conn.execute(sql).fetchall()
