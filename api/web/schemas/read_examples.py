"""Response examples of the read endpoints, for the OpenAPI document.

Each is built through its response model (so it always matches the schema) and
tells the same story as ``api.web.schemas.examples``: customer C-1001, a billing call, a
spring mailshot, a survey about the call.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from api.web.schemas import metric_rows as rows
from projections.customer.models import (
    CallDetails,
    CallingReason,
    ChannelCounts,
    Consent,
    CustomerProfile,
    Interaction,
    MailshotDetails,
)

CUSTOMER = "C-1001"
_AT = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _call() -> Interaction:
    details = CallDetails(
        queue="billing", agent_id="agent-7", reason="bill-query", outcome="answered",
        wait_seconds=12, talk_seconds=240, hold_seconds=30, after_call_work_seconds=45,
        handled_seconds=315, resolved=False, transferred=False, corrections=1,
    )  # fmt: skip
    return Interaction(
        position=57, kind="call", channel="phone", occurred_at=datetime(2026, 3, 9, 9, 10,
        tzinfo=UTC), recorded_at=datetime(2026, 3, 9, 9, 16, 2, tzinfo=UTC), source="acd",
        source_id="call-88231", call=details,
    )  # fmt: skip


def _mailshot() -> Interaction:
    details = MailshotDetails(
        campaign_id="spring", campaign_name="Spring offer", campaign_purpose="marketing",
        unit_cost=Decimal("0.85"), delivered_at=datetime(2026, 3, 4,
        tzinfo=UTC), bounced_at=None, responses=0, first_response_at=None,
        first_response_how=None, conversions=0, conversion_value=Decimal(0),
    )  # fmt: skip
    return Interaction(
        position=31, kind="mailshot", channel="post", occurred_at=datetime(2026, 3, 2, 8,
        tzinfo=UTC), recorded_at=datetime(2026, 3, 2, 8, 0, 4, tzinfo=UTC),
        source="print-house", source_id="job-17/line-4402", mailshot=details,
    )  # fmt: skip


def profile() -> dict[str, Any]:
    """An example of ``GET /customers/{ref}``."""
    call, mailshot = _call(), _mailshot()
    example = CustomerProfile(
        customer_ref=CUSTOMER, at=_AT, view_position=61, registered=True,
        registered_at=datetime(2026, 3, 2, 9, tzinfo=UTC), personal_data="visible",
        name="Ada Lovelace", email="ada@example.org", phone="+44 20 7946 0018",
        segment="retail", erased_at=None,
        consent={"email": Consent(granted=True, changed_at=datetime(2026, 3, 3, 10, 16,
                 tzinfo=UTC))},
        counts=ChannelCounts(phone=1, post=1, email=0, sms=0, survey=0, lifetime=2),
        last_contact=call.occurred_at, recent_interactions=[call, mailshot], latest_nps=None,
        open_detractors=[], expired_detractors=[], calls_in_repeat_window=1, repeat_window_days=7,
        repeat_contact=False, mailshots_last_30_days=1, pressure_cap=4,
        lifetime_handled_seconds=315, lifetime_handled_cost=Decimal("3.65"),
        why_calling=[
            CallingReason(because="unresolved_call", interaction=call, sentence="“bill-query” "
                "is not resolved: the call yesterday at 09:10 UTC (billing queue, agent "
                "agent-7) ended without a resolution."),
            CallingReason(because="recent_outbound", interaction=mailshot, sentence="Offer "
                "letter “Spring offer” sent on Mon 2 Mar at 08:00 UTC: they may be calling "
                "about the offer."),
        ],
    )  # fmt: skip
    return _json(example)


def timeline() -> dict[str, Any]:
    """An example of ``GET /customers/{ref}/timeline?limit=2``."""
    return {
        "customer_ref": CUSTOMER,
        "items": [_json(_call()), _json(_mailshot())],
        "next_after": 31,
        "previous_before": None,
        "personal_data": "visible",
        "view_position": 61,
    }


def _report(view: str, group_by: list[str], row: BaseModel) -> dict[str, Any]:
    return {
        "view": view,
        "from": "2026-03-01",
        "to": "2026-03-31",
        "at": "2026-04-01T00:00:00Z",
        "group_by": group_by,
        "filters": {},
        "view_position": 61,
        "rows": [row.model_dump(mode="json", exclude_unset=True)],
    }


def cost_report() -> dict[str, Any]:
    """An example of ``GET /metrics/cost?group_by=queue``."""
    row = rows.CostRow(
        queue="billing", offered=4, answered=2, abandoned=2, short_abandons=1,
        answered_wait_seconds=40, talk_seconds=300, hold_seconds=20, after_call_work_seconds=80,
        handled_seconds=400, service_level_hits=1, transferred=0, resolved=2,
        cost=Decimal("5.00"), asa=20.0, aht=200.0, service_level=1 / 3, abandonment_rate=1 / 3,
        transfer_rate=0.0, cost_per_contact=Decimal("2.50"), fcr_resolved=2, fcr_repeated=0,
        fcr_pending=0, repeat_contacts=0, fcr_eligible=2, fcr=1.0,
    )  # fmt: skip
    return _report("cost", ["queue"], row)


def distribution_report() -> dict[str, Any]:
    """An example of ``GET /metrics/cost/distribution?group_by=queue`` (one of its rows)."""
    row = rows.DistributionRow(
        queue="billing", measure="wait", calls=412, p50=14, p80=31, p90=58, p95=94, max=604,
        exact=False,
    )  # fmt: skip
    return _report("cost", ["queue"], row)


def agents_report() -> dict[str, Any]:
    """An example of ``GET /metrics/cost/agents``."""
    row = rows.AgentRow(day=date(2026, 3, 2), agent="agent-7", handled_seconds=21_340, answered=71)
    return _report("cost", [], row)


def crm_report() -> dict[str, Any]:
    """An example of ``GET /metrics/crm?group_by=campaign``: 1,000 sent, 100 held back."""
    row = rows.CrmRow(
        campaign="spring", sent=1000, delivered=980, bounced=20, responses=49,
        response_rate=0.05, conversions=20, conversion_rate=20 / 980,
        conversions_per_response=20 / 49, reached_customers=975, responding_customers=49,
        converting_customers=20, customer_response_rate=49 / 975,
        customer_conversion_rate=20 / 975, opt_outs=3, opt_out_rate=3 / 980,
        unit_cost=Decimal("850.00"), fixed_cost=Decimal("1500.00"), cost=Decimal("2350.00"),
        cost_per_response=Decimal("47.96"), cost_per_acquisition=Decimal("117.50"),
        revenue=Decimal("2400.00"), revenue_per_mailed=Decimal("2.45"), roi=50 / 2350,
        control_held_back=100, control_customers=100, control_shared=False,
        control_responses=2, control_response_rate=0.02, control_conversions=1,
        control_conversion_rate=0.01, control_revenue=Decimal("120.00"),
        control_revenue_per_held_back=Decimal("1.20"),
        response_lift_pp=3.0, response_lift_margin_pp=3.2, response_lift_low_pp=-0.2,
        response_lift_high_pp=6.2, conversion_lift_pp=1.04, conversion_lift_margin_pp=2.1,
        conversion_lift_low_pp=-1.06, conversion_lift_high_pp=3.14,
        incremental_revenue=Decimal("1224.00"), incremental_revenue_per_mailed=Decimal("1.25"),
        incremental_roi=(1224 - 2350) / 2350, uncredited_responses_outside_window=4,
        uncredited_responses_bounced=1, uncredited_conversions_outside_window=2,
        uncredited_conversions_bounced=0, uncredited_value_outside_window=Decimal("180.00"),
        uncredited_value_bounced=Decimal("0.00"),
    )  # fmt: skip
    return _report("crm", ["campaign"], row)


def pressure_report() -> dict[str, Any]:
    """An example of ``GET /metrics/crm/contact-pressure`` (one day)."""
    row = rows.PressureRow(
        day=date(2026, 3, 2), customers=10_000, customers_0=6_200, customers_1=2_400,
        customers_2=900, customers_3=240, customers_4=140, customers_5_plus=120, cap=4,
        over_cap=120, over_cap_share=0.012,
    )  # fmt: skip
    return _report("crm", [], row)


def detractor_report() -> dict[str, Any]:
    """An example of ``GET /metrics/cem/detractors``."""
    replied = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)
    row = rows.DetractorRow(
        customer_ref=CUSTOMER, reply_position=60, occurred_at=replied,
        due_at=datetime(2026, 3, 11, 17, 30, tzinfo=UTC), state="open",
    )  # fmt: skip
    return _report("cem", [], row)


def insight_report() -> dict[str, Any]:
    """An example of ``GET /metrics/insights`` (one of its rows)."""
    row = rows.InsightRow(
        dimension="handle_time_band", value=">10", replies=412, n=398, nps=-12.3,
        nps_margin=8.9, too_few=False,
    )  # fmt: skip
    return _report("cem", [], row)


def cem_report() -> dict[str, Any]:
    """An example of ``GET /metrics/cem?group_by=day``."""
    row = rows.CemRow(
        day=date(2026, 3, 2), replies=1000, nps_replies=1000, promoters=500, passives=300,
        detractors=200, csat_replies=0, csat_top2=0, effort_replies=0, effort_sum=0,
        effort_5_7=0, open=3, closed=150, expired=47, n=1000, nps=30.0, nps_margin=4.8,
        too_few=False, csat_pct=None, effort_mean=None, effort_5_7_pct=None,
        closed_loop_pct=100 * 150 / 197,
    )  # fmt: skip
    return _report("cem", ["day"], row)


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
