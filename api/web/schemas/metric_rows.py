"""Rows of the metric endpoints, as the query functions compute them (METRICS.md).

A row holds the breakdown values it was grouped by (only those: the others are
absent, not null), then the view's components and metrics. Rates are fractions
(0.25 = 25 %) in the cost and crm views and percentages (``*_pct``) in the cem
view, as the queries define them; lifts are percentage points. A ratio whose
denominator is 0 is null. Money is a decimal string. No row holds personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Rate = float | None


class Row(BaseModel):
    """A metric row; the breakdown fields are present only when grouped by."""

    model_config = ConfigDict(extra="ignore")


class CostRow(Row):
    """Cost view (interaction management) metrics of one group."""

    day: date | None = Field(default=None, description="Breakdown: day of `occurred_at`.")
    queue: str | None = Field(default=None, description="Breakdown: queue.")
    agent: str | None = Field(default=None, description="Breakdown: agent ('' = no agent).")
    reason: str | None = Field(default=None, description="Breakdown: reason code.")
    offered: int
    answered: int
    abandoned: int
    short_abandons: int = Field(description="Abandoned with wait < S.")
    answered_wait_seconds: int
    talk_seconds: int
    hold_seconds: int
    after_call_work_seconds: int
    handled_seconds: int = Field(description="Talk + hold + after-call work, answered calls.")
    service_level_hits: int = Field(description="Answered with wait <= T.")
    transferred: int
    resolved: int
    cost: Decimal
    asa: Rate = Field(description="Average speed of answer, seconds.")
    aht: Rate = Field(description="Average handle time, seconds.")
    service_level: Rate
    abandonment_rate: Rate
    transfer_rate: Rate
    cost_per_contact: Decimal | None
    fcr_resolved: int = Field(description="Answered, window closed, no repeat.")
    fcr_repeated: int = Field(description="Answered, followed by a repeat within W.")
    fcr_pending: int = Field(description="Answered, window still open, no repeat yet.")
    repeat_contacts: int
    fcr_eligible: int = Field(description="fcr_resolved + fcr_repeated.")
    fcr: Rate = Field(description="First-contact resolution: fcr_resolved / fcr_eligible.")


class AgentRow(Row):
    """Occupancy-ready input: handled seconds and answered calls per agent per day."""

    day: date
    agent: str = Field(description="Agent id ('' = calls without an agent).")
    queue: str | None = Field(default=None, description="Breakdown: queue.")
    reason: str | None = Field(default=None, description="Breakdown: reason code.")
    handled_seconds: int
    answered: int


class CrmRow(Row):
    """CRM view (outbound mailshots) metrics of one group."""

    campaign: str | None = Field(default=None, description="Breakdown: campaign id.")
    channel: str | None = Field(default=None, description="Breakdown: channel.")
    day: date | None = Field(default=None, description="Breakdown: day of send.")
    segment: str | None = Field(default=None, description="Breakdown: customer segment.")
    sent: int
    delivered: int = Field(description="sent - bounced.")
    bounced: int
    responses: int = Field(description="Distinct responding recipients.")
    response_rate: Rate
    conversions: int = Field(description="Distinct converting recipients.")
    conversion_rate: Rate
    conversions_per_response: Rate
    opt_outs: int
    opt_out_rate: Rate
    unit_cost: Decimal
    fixed_cost: Decimal = Field(description="The campaigns' fixed cost, pro rata by sent.")
    cost: Decimal
    cost_per_response: Rate
    cost_per_acquisition: Rate
    revenue: Decimal
    roi: Rate
    control_held_back: int
    control_responses: int
    control_response_rate: Rate
    control_conversions: int
    control_conversion_rate: Rate
    control_revenue: Decimal
    response_lift_pp: Rate
    response_lift_margin_pp: Rate
    response_lift_low_pp: Rate = Field(description="95 % interval, low end.")
    response_lift_high_pp: Rate = Field(description="95 % interval, high end.")
    conversion_lift_pp: Rate
    conversion_lift_margin_pp: Rate
    conversion_lift_low_pp: Rate
    conversion_lift_high_pp: Rate
    incremental_revenue: Decimal | None
    incremental_roi: Rate


def crm_row(row: dict[str, Any]) -> dict[str, Any]:
    """A crm query row with each lift interval as two columns (CSV-friendly)."""
    out = dict(row)
    for name in ("response", "conversion"):
        low_high = out.pop(f"{name}_lift_ci_pp")
        out[f"{name}_lift_low_pp"], out[f"{name}_lift_high_pp"] = low_high or (None, None)
    return out


class PressureRow(Row):
    """Contact pressure on one day: customers by mailshots sent in the trailing 30 days."""

    day: date
    customers: int = Field(description="Customers the crm view knew by that day.")
    customers_0: int = Field(description="With no mailshot in the trailing 30 days.")
    customers_1: int
    customers_2: int
    customers_3_4: int
    customers_5_plus: int
    cap: int = Field(description="Mailshots per 30 days a customer may get.")
    over_cap: int
    over_cap_share: Rate


_BANDS = {"0": "customers_0", "1": "customers_1", "2": "customers_2"}
_BANDS |= {"3-4": "customers_3_4", "5+": "customers_5_plus"}


def pressure_row(row: dict[str, Any]) -> dict[str, Any]:
    """A contact-pressure row with its distribution as one column per band."""
    out = dict(row)
    for band, count in out.pop("distribution").items():
        out[_BANDS[band]] = count
    return out


class CemRow(Row):
    """CEM view (experience) metrics of one group."""

    day: date | None = Field(default=None, description="Breakdown: day of the reply.")
    survey_kind: str | None = Field(default=None, description="Breakdown: survey kind.")
    queue: str | None = Field(default=None, description="Breakdown: queue of the call.")
    agent: str | None = Field(default=None, description="Breakdown: agent of the call.")
    reason: str | None = Field(default=None, description="Breakdown: reason of the call.")
    handle_time_band: str | None = Field(default=None, description="Breakdown: minutes band.")
    repeat_contact: bool | None = Field(default=None, description="Breakdown: repeat call.")
    pressure_band: str | None = Field(default=None, description="Breakdown: mailshots/30 d.")
    segment: str | None = Field(default=None, description="Breakdown: customer segment.")
    replies: int
    nps_replies: int
    promoters: int
    passives: int
    detractors: int
    csat_replies: int
    csat_top2: int
    effort_replies: int
    effort_sum: int
    effort_5_7: int
    open: int = Field(description="Detractor replies still inside their follow-up window.")
    closed: int = Field(description="Detractor replies followed up in time.")
    expired: int = Field(description="Detractor replies whose window passed unanswered.")
    n: int = Field(description="Replies with an NPS score.")
    nps: Rate = Field(description="-100..100.")
    nps_margin: Rate = Field(description="± at 95 %.")
    too_few: bool = Field(description="n < 30: NPS not to be trusted.")
    csat_pct: Rate
    effort_mean: Rate
    effort_5_7_pct: Rate
    closed_loop_pct: Rate


class DetractorRow(Row):
    """An open or expired detractor reply (no follow-up yet); no personal data."""

    day: date | None = None
    survey_kind: str | None = None
    queue: str | None = None
    agent: str | None = None
    reason: str | None = None
    handle_time_band: str | None = None
    repeat_contact: bool | None = None
    pressure_band: str | None = None
    segment: str | None = None
    customer_ref: str
    reply_position: int = Field(description="Log position of the reply.")
    occurred_at: datetime
    due_at: datetime = Field(description="End of the follow-up window.")
    state: Literal["open", "expired"]


class InsightRow(Row):
    """NPS for one value of one dimension, beside its volume of replies."""

    day: date | None = None
    survey_kind: str | None = None
    queue: str | None = None
    agent: str | None = None
    reason: str | None = None
    handle_time_band: str | None = None
    repeat_contact: bool | None = None
    pressure_band: str | None = None
    segment: str | None = None
    dimension: Literal["handle_time_band", "repeat_contact", "pressure_band"]
    value: str | bool | None = Field(description="The band or flag (null: not attributable).")
    replies: int
    n: int
    nps: Rate
    nps_margin: Rate
    too_few: bool
