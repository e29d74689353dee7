"""One valid request body per fact kind, for the OpenAPI document.

They tell one story (a customer, a campaign, a call and its correction, a
mailshot and what became of it, a survey about the call), so recording them in
``STORY`` order succeeds: the tests do exactly that.
"""

from __future__ import annotations

from typing import Any

CUSTOMER = "C-1001"

EXAMPLES: dict[str, dict[str, Any]] = {
    "customer_registered": {
        "occurred_at": "2026-03-02T09:00:00Z",
        "source": "crm",
        "source_id": "reg-C-1001",
        "customer_ref": CUSTOMER,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "phone": "+44 20 7946 0018",
        "segment": "retail",
    },
    "contact_details_changed": {
        "occurred_at": "2026-03-03T10:15:00Z",
        "source": "crm",
        "source_id": "chg-C-1001-1",
        "email": "ada.lovelace@example.org",
    },
    "marketing_consent_changed": {
        "occurred_at": "2026-03-03T10:16:00Z",
        "source": "crm",
        "source_id": "consent-C-1001-1",
        "channel": "email",
        "granted": True,
    },
    "campaign_planned": {
        "occurred_at": "2026-03-01T08:00:00Z",
        "source": "crm",
        "source_id": "plan-spring-2026",
        "campaign_id": "spring-2026",
        "name": "Spring offer",
        "channel": "post",
        "fixed_cost": "1500.00",
        "attribution_window_days": 30,
        "purpose": "marketing",
    },
    "call_recorded": {
        "occurred_at": "2026-03-04T14:02:11Z",
        "source": "acd",
        "source_id": "call-8812",
        "customer_ref": CUSTOMER,
        "queue": "billing",
        "agent_id": "a-17",
        "reason": "bill query",
        "offered_at": "2026-03-04T14:01:57Z",
        "wait_seconds": 14,
        "outcome": "answered",
        "talk_seconds": 310,
        "hold_seconds": 20,
        "after_call_work_seconds": 45,
        "resolved": True,
    },
    "call_corrected": {
        "occurred_at": "2026-03-04T16:00:00Z",
        "source": "qa",
        "source_id": "fix-call-8812-1",
        "customer_ref": CUSTOMER,
        "call": {"source": "acd", "source_id": "call-8812"},
        "reason": "billing dispute",
        "resolved": False,
    },
    "mailshot_sent": {
        "occurred_at": "2026-03-05T07:00:00Z",
        "source": "print-house",
        "source_id": "ms-5501",
        "customer_ref": CUSTOMER,
        "campaign_id": "spring-2026",
        "channel": "post",
        "unit_cost": "0.85",
    },
    "mailshot_held_back": {
        "occurred_at": "2026-03-05T07:00:00Z",
        "source": "print-house",
        "source_id": "ms-5502",
        "customer_ref": "C-1002",
        "campaign_id": "spring-2026",
        "channel": "post",
    },
    "mailshot_delivered": {
        "occurred_at": "2026-03-07T11:30:00Z",
        "source": "print-house",
        "source_id": "dlv-5501",
        "customer_ref": CUSTOMER,
        "mailshot": {"source": "print-house", "source_id": "ms-5501"},
    },
    "mailshot_bounced": {
        "occurred_at": "2026-03-07T11:30:00Z",
        "source": "print-house",
        "source_id": "bnc-5503",
        "customer_ref": CUSTOMER,
        "mailshot": {"source": "print-house", "source_id": "ms-5503"},
        "reason": "addressee unknown",
    },
    "mailshot_responded": {
        "occurred_at": "2026-03-09T18:45:00Z",
        "source": "web",
        "source_id": "resp-5501",
        "customer_ref": CUSTOMER,
        "mailshot": {"source": "print-house", "source_id": "ms-5501"},
        "how": "web",
    },
    "mailshot_converted": {
        "occurred_at": "2026-03-10T09:12:00Z",
        "source": "shop",
        "source_id": "order-77120",
        "customer_ref": CUSTOMER,
        "mailshot": {"source": "print-house", "source_id": "ms-5501"},
        "value": "120.00",
    },
    "survey_replied": {
        "occurred_at": "2026-03-04T18:00:00Z",
        "source": "survey-tool",
        "source_id": "s-40021",
        "customer_ref": CUSTOMER,
        "survey_kind": "transactional",
        "nps": 9,
        "csat": 5,
        "effort": 2,
        "comment": "Quick and helpful.",
        "about": {"kind": "call", "source": "acd", "source_id": "call-8812"},
    },
}


def story() -> list[dict[str, Any]]:
    """Every example with its ``kind``, in an order the ledger accepts (a whole batch).

    The contact-details and consent examples get their ``customer_ref`` (on their
    own endpoints it comes from the path); a second mailshot is sent for the bounce.
    """

    def item(kind: str, **over: Any) -> dict[str, Any]:
        return {"kind": kind, **EXAMPLES[kind], **over}

    return [
        item("customer_registered"),
        item("contact_details_changed", customer_ref=CUSTOMER),
        item("marketing_consent_changed", customer_ref=CUSTOMER),
        item("campaign_planned"),
        item("call_recorded"),
        item("call_corrected"),
        item("mailshot_sent"),
        item("mailshot_sent", source_id="ms-5503"),
        item("mailshot_held_back"),
        item("mailshot_delivered"),
        item("mailshot_bounced"),
        item("mailshot_responded"),
        item("mailshot_converted"),
        item("survey_replied"),
    ]
