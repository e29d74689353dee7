"""The crm view: mailshot components per campaign x channel x send day x segment.

A page is copied into a temporary table (``crm_page``) and applied with one SQL
statement per rule, so a page of thousands of facts costs a handful of round trips.

Rules (documented for analysts in the crm section of projections/README.md):

- A mailshot (a send or a hold-back) is bucketed by its campaign, its own channel,
  the day of its ``occurred_at`` in the view's time zone, and the customer's segment
  as known when the send is projected: the segment of a ``CustomerRegistered`` that
  comes *earlier in the log*, else ``unknown``. It is never re-bucketed later, so the
  view depends on log order only, never on how the log is paged.
- Responses and conversions are credited when ``sent_at <= occurred_at <= sent_at +
  the campaign's attribution window`` (the end is included). The ledger only accepts
  them after their mailshot is in the log, so crediting is never retroactive.
  Responders and converters are counted once per mailshot (one recipient of one send).
  A bounced mailshot never reached its recipient: its responses, conversions and
  revenue are not credited (taken back if the bounce comes later), so that every
  numerator is among the delivered, the denominator of the rates. Every response and
  conversion is also kept in ``crm_follow_ups``: those not credited (outside the window,
  of a bounced send) are reported as uncredited, by reason, at query time.
- Consent withdrawals are kept in ``crm_opt_outs``; each is credited at query time to
  the latest delivered send before it (last touch, see ``projections.crm.per_send``),
  because a later bounce or a send logged late may change which send that is.
- Contact pressure: mailshots *sent* to a customer on days ``D-29 .. D``; the view keeps
  the histogram of customers per exact count (count >= 1) as changes per day (a
  difference array, ``crm_pressure_changes``; the SQL view ``crm_pressure`` sums it up).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg import Cursor

from domain.facts import CampaignPlanned, MailshotFact, MarketingConsentChanged
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.crm.sql import STEPS

__all__ = ["KINDS", "PAGE_COLUMNS", "PAGE_TABLE", "CrmView", "PageRow"]

KINDS = frozenset(
    {
        "CampaignPlanned",
        "CustomerRegistered",
        "MailshotSent",
        "MailshotHeldBack",
        "MailshotBounced",
        "MailshotResponded",
        "MailshotConverted",
        "MarketingConsentChanged",
    }
)
_AMOUNT = {
    "MailshotSent": "unit_cost",
    "MailshotConverted": "value",
    "CampaignPlanned": "fixed_cost",
}

PAGE_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS crm_page (
    position bigint, kind text, mailshot_id uuid, customer_ref text, campaign_id text,
    channel text, occurred_at timestamptz, day date, amount numeric, segment text,
    granted boolean, name text, window_days integer
) ON COMMIT DELETE ROWS
"""
PAGE_COLUMNS = (
    "position, kind, mailshot_id, customer_ref, campaign_id, channel, occurred_at, day, "
    "amount, segment, granted, name, window_days"
)

PageRow = tuple[
    int,
    str,
    UUID | None,
    str | None,
    str | None,
    str | None,
    datetime,
    date,
    Decimal | None,
    str | None,
    bool | None,
    str | None,
    int | None,
]


class CrmView:
    """The crm view (see the module docstring for its rules)."""

    name = "crm"
    tables: tuple[str, ...] = (
        "crm_campaigns",
        "crm_customers",
        "crm_mailshots",
        "crm_opt_outs",
        "crm_follow_ups",
        "crm_daily",
        "crm_contact_days",
        "crm_pressure_changes",
    )

    def __init__(self, config: ViewConfig) -> None:
        self.config = config
        self.zone = config.zone

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply ``page`` (log order) inside the caller's transaction."""
        rows = [self.page_row(item) for item in page if _relevant(item)]
        if not rows:
            return
        cur.execute(PAGE_TABLE + "; DELETE FROM crm_page")  # one round trip
        with cur.copy(f"COPY crm_page ({PAGE_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        kinds = {row[1] for row in rows}
        for needs, statement in STEPS:
            if kinds & needs:
                cur.execute(statement)

    def page_row(self, item: LoggedFact) -> PageRow:
        """The ``crm_page`` row of one fact (unused columns are NULL)."""
        fact = item.fact
        campaign = fact if isinstance(fact, CampaignPlanned) else None
        amount = getattr(fact, _AMOUNT[fact.kind]) if fact.kind in _AMOUNT else None
        return (
            item.position,
            fact.kind,
            item.stream_id if isinstance(fact, MailshotFact) else None,
            getattr(fact, "customer_ref", None),
            getattr(fact, "campaign_id", None),
            getattr(fact, "channel", None),
            fact.occurred_at,
            fact.occurred_at.astimezone(self.zone).date(),
            amount,
            getattr(fact, "segment", None),
            getattr(fact, "granted", None),
            None if campaign is None else campaign.name,
            None if campaign is None else campaign.attribution_window_days,
        )


def _relevant(item: LoggedFact) -> bool:
    # Only withdrawals matter among consent changes; grants never change a metric.
    fact = item.fact
    if isinstance(fact, MarketingConsentChanged):
        return not fact.granted
    return fact.kind in KINDS
