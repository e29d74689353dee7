"""Rows of the metric endpoints, as the query functions compute them (METRICS.md).

A row holds the breakdown values it was grouped by (only those: the others are
absent, not null), then the view's components and metrics. Rates are fractions
(0.25 = 25 %) in the cost and crm views and percentages (``*_pct``) in the cem
view, as the queries define them; lifts are percentage points. A ratio whose
denominator is 0 is null. Money is a decimal string rounded to the currency's cents
(``Money``: every amount, cost and cost ratio of every view). No row holds personal data.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

Rate = float | None
CENTS = Decimal("0.01")  # the currency's minor unit (cents, pence)


def to_cents(value: Decimal) -> Decimal:
    """An amount rounded to the currency's cents, half up (as money is shown), whatever
    precision the view computed it with (a ratio of sums has 28 digits)."""
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


# Money in every metric answer: a decimal string with exactly two decimals in JSON and
# CSV (never a float, never 28 digits); the one place where amounts are rounded.
Money = Annotated[
    Decimal,
    AfterValidator(to_cents),
    PlainSerializer(lambda value: f"{value:f}", return_type=str, when_used="json"),
]


class Row(BaseModel):
    """A metric row; the breakdown fields are present only when grouped by."""

    model_config = ConfigDict(extra="ignore")


class CostRow(Row):
    """Cost view (interaction management) metrics of one group."""

    day: date | None = Field(default=None, description="Breakdown: day of `occurred_at`.")
    queue: str | None = Field(default=None, description="Breakdown: queue.")
    agent: str | None = Field(default=None, description="Breakdown: agent ('' = no agent).")
    reason: str | None = Field(default=None, description="Breakdown: reason code.")
    interval: datetime | None = Field(
        default=None,
        description="Breakdown: start of the staffing interval, local time with its UTC "
        "offset (the hour a DST change repeats is two intervals).",
    )
    time_of_day: str | None = Field(
        default=None, description="Breakdown: wall-clock start of the interval, HH:MM."
    )
    weekday: int | None = Field(default=None, description="Breakdown: ISO weekday, 1 = Monday.")
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
    cost: Money
    asa: Rate = Field(description="Average speed of answer, seconds.")
    aht: Rate = Field(description="Average handle time, seconds.")
    service_level: Rate
    abandonment_rate: Rate
    transfer_rate: Rate
    cost_per_contact: Money | None
    fcr_resolved: int = Field(description="Answered, window closed, no repeat.")
    fcr_repeated: int = Field(description="Answered, followed by a repeat within W.")
    fcr_pending: int = Field(description="Answered, window still open, no repeat yet.")
    repeat_contacts: int
    fcr_eligible: int = Field(description="fcr_resolved + fcr_repeated.")
    fcr: Rate = Field(description="First-contact resolution: fcr_resolved / fcr_eligible.")


class DistributionRow(Row):
    """Percentiles of one measure of one group, in whole seconds (nearest rank)."""

    day: date | None = Field(default=None, description="Breakdown: day of `occurred_at`.")
    queue: str | None = Field(default=None, description="Breakdown: queue.")
    agent: str | None = Field(default=None, description="Breakdown: agent ('' = no agent).")
    reason: str | None = Field(default=None, description="Breakdown: reason code.")
    weekday: int | None = Field(default=None, description="Breakdown: ISO weekday, 1 = Monday.")
    measure: Literal["wait", "handle", "abandon_wait"] = Field(
        description="wait: of answered calls (behind ASA); handle: talk + hold + after-call "
        "work of answered calls (behind AHT); abandon_wait: of abandoned calls."
    )
    calls: int
    p50: int | None = Field(description="Median.")
    p80: int | None
    p90: int | None
    p95: int | None
    max: int | None
    exact: bool = Field(
        description="Every figure read from 1-second buckets (all below 600 s); else a "
        "figure above 600 s is the top of its bucket (5 s wide below 1 h, 30 s below 4 h, "
        "300 s below 24 h): at most 0.8 % above the exact value below 4 h, 2.1 % below 24 h."
    )


class AgentRow(Row):
    """Occupancy-ready input: handled seconds and answered calls per agent per day."""

    day: date
    agent: str = Field(description="Agent id ('' = calls without an agent).")
    queue: str | None = Field(default=None, description="Breakdown: queue.")
    reason: str | None = Field(default=None, description="Breakdown: reason code.")
    handled_seconds: int
    answered: int


class CrmRow(Row):
    """CRM view (outbound mailshots and telemarketing) metrics of one group (METRICS.md)."""

    campaign: str | None = Field(default=None, description="Breakdown: campaign id.")
    channel: str | None = Field(
        default=None, description="Breakdown: channel (post, email, sms, phone)."
    )
    day: date | None = Field(
        default=None, description="Breakdown: day of send (of planning, for a campaign never sent)."
    )
    segment: str | None = Field(
        default=None, description="Breakdown: customer segment (null: a campaign never sent)."
    )
    pressure_band: str | None = Field(
        default=None,
        description="Breakdown: the recipient's contact pressure at the send, counting it "
        "(1, 2, 3, 4, 5+; null: hold-backs and campaigns never sent).",
    )
    sent: int = Field(description="Mailshots sent (phone: dialled).")
    delivered: int = Field(description="sent - bounced (phone: reached).")
    bounced: int = Field(description="Phone: not reached.")
    responses: int = Field(description="Responding sends (a delivered send with a credited one).")
    response_rate: Rate = Field(description="Responding sends / delivered.")
    conversions: int = Field(description="Converting sends.")
    conversion_rate: Rate = Field(description="Converting sends / delivered.")
    conversions_per_response: Rate
    reached_customers: int = Field(description="Distinct customers with a delivered send.")
    responding_customers: int = Field(description="Reached customers with a credited response.")
    converting_customers: int = Field(description="Reached customers with a credited conversion.")
    customer_response_rate: Rate = Field(description="Responding / reached customers.")
    customer_conversion_rate: Rate = Field(description="Converting / reached customers.")
    opt_outs: int = Field(description="Sends credited with a withdrawal (last touch).")
    opt_out_rate: Rate
    unit_cost: Money
    fixed_cost: Money = Field(
        description="The campaigns' fixed cost, pro rata by sends (whole on the planned day "
        "of a campaign never sent)."
    )
    cost: Money
    cost_per_response: Money | None
    cost_per_acquisition: Money | None
    revenue: Money
    revenue_per_mailed: Money | None = Field(description="Revenue / delivered.")
    roi: Rate
    control_held_back: int = Field(description="Hold-backs (one per campaign and recipient).")
    control_customers: int = Field(description="Distinct customers held back.")
    control_shared: bool = Field(
        description="Customers held back in several campaigns of this group: the control "
        "counts are per campaign, not people."
    )
    control_responses: int
    control_response_rate: Rate
    control_conversions: int
    control_conversion_rate: Rate
    control_revenue: Money
    control_revenue_per_held_back: Money | None
    response_lift_pp: Rate
    response_lift_margin_pp: Rate
    response_lift_low_pp: Rate = Field(description="95 % interval, low end.")
    response_lift_high_pp: Rate = Field(description="95 % interval, high end.")
    conversion_lift_pp: Rate
    conversion_lift_margin_pp: Rate
    conversion_lift_low_pp: Rate
    conversion_lift_high_pp: Rate
    incremental_revenue: Money | None
    incremental_revenue_per_mailed: Money | None = Field(
        description="Revenue / delivered - control revenue / held back."
    )
    incremental_roi: Rate
    uncredited_responses_outside_window: int = Field(
        description="Responses recorded after their send's window (not credited)."
    )
    uncredited_responses_bounced: int = Field(description="Responses of a bounced send.")
    uncredited_conversions_outside_window: int
    uncredited_conversions_bounced: int
    uncredited_value_outside_window: Money = Field(description="Their conversion value.")
    uncredited_value_bounced: Money
    nps: Rate = Field(
        default=None,
        description="With group_by=pressure_band: the cem view's NPS of replies (same days) "
        "by the customer's pressure at reply time, in the band (and segment).",
    )
    nps_margin: Rate = Field(default=None, description="± at 95 %.")
    nps_replies: int | None = Field(default=None, description="Replies with an NPS score.")
    nps_too_few: bool | None = Field(default=None, description="Fewer than 30 replies.")


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
    customers_3: int
    customers_4: int
    customers_5_plus: int
    cap: int = Field(description="Mailshots per 30 days a customer may get.")
    over_cap: int
    over_cap_share: Rate


_BANDS = {"0": "customers_0", "1": "customers_1", "2": "customers_2"}
_BANDS |= {"3": "customers_3", "4": "customers_4", "5+": "customers_5_plus"}


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
