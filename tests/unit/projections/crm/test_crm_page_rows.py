"""How the crm view turns facts into rows of its page table, no database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from domain import facts as f
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.crm.sql import add_to_daily
from projections.crm.view import CrmView, _relevant

LATE = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)


def logged(cls, position=7, **fields):
    envelope = {"originator_id": uuid4(), "originator_version": 1, "timestamp": LATE}
    envelope |= {"occurred_at": LATE, "source": "s", "source_id": "1", "recorded_by": "t"}
    return LoggedFact(position, cls(**envelope, **fields))


def test_the_send_day_is_the_day_in_the_view_time_zone():
    item = logged(f.MailshotSent, customer_ref="c1", campaign_id="k", channel="email",
                  unit_cost=Decimal("0.85"))  # fmt: skip
    assert CrmView(ViewConfig()).page_row(item)[7].isoformat() == "2026-01-05"
    berlin = CrmView(ViewConfig(timezone="Europe/Berlin")).page_row(item)
    assert berlin[7].isoformat() == "2026-01-06"
    assert berlin[2] == item.stream_id  # the mailshot is its stream
    assert berlin[8] == Decimal("0.85")


def test_a_registration_carries_the_segment_but_never_personal_data():
    item = logged(f.CustomerRegistered, customer_ref="c1", name="sealed-name",
                  email="sealed-email", phone=None, segment="gold")  # fmt: skip
    row = CrmView(ViewConfig()).page_row(item)
    assert row[9] == "gold"
    assert "sealed-name" not in row
    assert "sealed-email" not in row


def test_only_consent_withdrawals_and_crm_facts_are_relevant():
    grant = logged(f.MarketingConsentChanged, customer_ref="c1", channel="email", granted=True)
    withdrawal = logged(f.MarketingConsentChanged, customer_ref="c1", channel="email",
                        granted=False)  # fmt: skip
    erased = logged(f.CustomerErased, customer_ref="c1", reason=None)
    assert [_relevant(x) for x in (grant, withdrawal, erased)] == [False, True, False]


def test_a_daily_upsert_puts_its_with_clause_before_the_insert():
    sql = add_to_daily(("sent",), "\nWITH x AS (SELECT 1)\nSELECT a, b, c, d, 1 FROM x")
    assert sql.startswith("\nWITH x AS")
    assert "INSERT INTO crm_daily (campaign_id, channel, day, segment, sent)\nSELECT a" in sql
    assert sql.endswith("DO UPDATE SET sent = crm_daily.sent + excluded.sent")
