"""Commands with sensible defaults, for unit and integration tests alike.

Every builder validates through the pydantic model (``model_validate``), so a test
that overrides a field with bad input sees exactly what a caller would see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain import commands as c

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACD = "acd"
PRINT_HOUSE = "print-house"
SURVEY_TOOL = "survey-tool"
CRM = "crm"


def at(minutes: int) -> datetime:
    """``T0`` plus some minutes: facts of a test happen in a known order."""
    return T0 + timedelta(minutes=minutes)


def _build(model: type[c.Command], defaults: dict[str, Any], over: dict[str, Any]) -> Any:
    return model.model_validate(defaults | over)


def customer(ref: str = "C1", **over: Any) -> c.RegisterCustomer:
    defaults = {
        "occurred_at": T0,
        "source": CRM,
        "source_id": f"reg-{ref}",
        "customer_ref": ref,
        "name": f"Customer {ref}",
        "email": f"{ref.lower()}@example.org",
        "phone": "+44 20 7946 0000",
        "segment": "retail",
    }
    return _build(c.RegisterCustomer, defaults, over)


def contact_change(
    ref: str = "C1", source_id: str = "chg-1", **over: Any
) -> c.ChangeContactDetails:
    defaults = {
        "occurred_at": at(1),
        "source": CRM,
        "source_id": source_id,
        "customer_ref": ref,
        "email": "new@example.org",
    }
    return _build(c.ChangeContactDetails, defaults, over)


def consent(ref: str = "C1", source_id: str = "consent-1", **over: Any) -> c.ChangeMarketingConsent:
    defaults = {
        "occurred_at": at(2),
        "source": CRM,
        "source_id": source_id,
        "customer_ref": ref,
        "channel": "email",
        "granted": False,
    }
    return _build(c.ChangeMarketingConsent, defaults, over)


def campaign(campaign_id: str = "spring", **over: Any) -> c.PlanCampaign:
    defaults = {
        "occurred_at": T0 - timedelta(days=7),
        "source": CRM,
        "source_id": f"plan-{campaign_id}",
        "campaign_id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "channel": "post",
        "fixed_cost": "1500.00",
        "attribution_window_days": 30,
    }
    return _build(c.PlanCampaign, defaults, over)


def call(source_id: str = "call-1", ref: str = "C1", **over: Any) -> c.RecordCall:
    defaults = {
        "occurred_at": at(10),
        "source": ACD,
        "source_id": source_id,
        "customer_ref": ref,
        "queue": "billing",
        "agent_id": "agent-7",
        "reason": "bill-query",
        "wait_seconds": 12,
        "outcome": "answered",
        "talk_seconds": 240,
        "hold_seconds": 30,
        "after_call_work_seconds": 45,
        "resolved": True,
    }
    return _build(c.RecordCall, defaults, over)


def correction(call_id: str = "call-1", source_id: str = "fix-1", **over: Any) -> c.CorrectCall:
    defaults = {
        "occurred_at": at(20),
        "source": ACD,
        "source_id": source_id,
        "customer_ref": "C1",
        "call": {"source": ACD, "source_id": call_id},
        "resolved": False,
    }
    return _build(c.CorrectCall, defaults, over)


def _opening(source_id: str, campaign_id: str, ref: str) -> dict[str, Any]:
    return {
        "occurred_at": T0,
        "source": PRINT_HOUSE,
        "source_id": source_id,
        "customer_ref": ref,
        "campaign_id": campaign_id,
        "channel": "post",
    }


def sent(
    source_id: str = "m-1", campaign_id: str = "spring", ref: str = "C1", **over: Any
) -> c.RecordMailshotSent:
    defaults = _opening(source_id, campaign_id, ref) | {"unit_cost": "0.85"}
    return _build(c.RecordMailshotSent, defaults, over)


def held_back(
    source_id: str = "m-1", campaign_id: str = "spring", ref: str = "C1", **over: Any
) -> c.RecordMailshotHeldBack:
    return _build(c.RecordMailshotHeldBack, _opening(source_id, campaign_id, ref), over)


def _follow_up(mailshot_id: str, source_id: str, minutes: int) -> dict[str, Any]:
    return {
        "occurred_at": at(minutes),
        "source": PRINT_HOUSE,
        "source_id": source_id,
        "customer_ref": "C1",
        "mailshot": {"source": PRINT_HOUSE, "source_id": mailshot_id},
    }


def delivered(
    mailshot_id: str = "m-1", source_id: str = "dlv-1", **over: Any
) -> c.RecordMailshotDelivered:
    return _build(c.RecordMailshotDelivered, _follow_up(mailshot_id, source_id, 60), over)


def bounced(
    mailshot_id: str = "m-1", source_id: str = "bnc-1", **over: Any
) -> c.RecordMailshotBounced:
    defaults = _follow_up(mailshot_id, source_id, 60) | {"reason": "address unknown"}
    return _build(c.RecordMailshotBounced, defaults, over)


def responded(
    mailshot_id: str = "m-1", source_id: str = "rsp-1", **over: Any
) -> c.RecordMailshotResponded:
    defaults = _follow_up(mailshot_id, source_id, 24 * 60) | {"how": "web"}
    return _build(c.RecordMailshotResponded, defaults, over)


def converted(
    mailshot_id: str = "m-1", source_id: str = "cnv-1", **over: Any
) -> c.RecordMailshotConverted:
    defaults = _follow_up(mailshot_id, source_id, 2 * 24 * 60) | {"value": "120.00"}
    return _build(c.RecordMailshotConverted, defaults, over)


def survey(source_id: str = "s-1", ref: str = "C1", **over: Any) -> c.RecordSurveyReply:
    defaults = {
        "occurred_at": at(30),
        "source": SURVEY_TOOL,
        "source_id": source_id,
        "customer_ref": ref,
        "survey_kind": "transactional",
        "nps": 9,
        "csat": 4,
        "effort": 2,
        "comment": "Quick and friendly",
        "about": {"kind": "call", "source": ACD, "source_id": "call-1"},
    }
    return _build(c.RecordSurveyReply, defaults, over)


def one_of_each() -> list[c.Command]:
    """One command of every kind a caller may send, in an order the rules accept."""
    return [
        customer(),
        contact_change(),
        consent(),
        campaign(),
        call(),
        correction(),
        sent(),
        delivered(),
        responded(),
        converted(),
        sent("m-2", ref="C1"),
        bounced("m-2"),
        held_back("m-3"),
        survey(),
    ]
