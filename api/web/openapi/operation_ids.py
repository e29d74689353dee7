"""Readable OpenAPI operation ids (``getCustomer``, ``recordCall``): generated clients'
method names. FastAPI's own (``get_customer_customers__ref__get``) are unusable there.

``OPERATION_IDS`` names each operation by method and path; an operation missing from
it gets one made from its method and path (``postInteractionsMailshotsHeldBack``), and
a test asks for it to be named here.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

__all__ = ["OPERATION_IDS", "name_operations", "operation_id"]

OPERATION_IDS: dict[tuple[str, str], str] = {
    ("GET", "/health"): "getHealth",
    ("GET", "/metrics"): "getPrometheusMetrics",
    ("POST", "/customers"): "registerCustomer",
    ("POST", "/customers/{ref}/contact-details"): "changeContactDetails",
    ("POST", "/customers/{ref}/consent"): "changeMarketingConsent",
    ("POST", "/campaigns"): "planCampaign",
    ("POST", "/interactions/calls"): "recordCall",
    ("POST", "/interactions/calls/corrections"): "correctCall",
    ("POST", "/interactions/mailshots"): "recordMailshotSent",
    ("POST", "/interactions/mailshots/held-back"): "recordMailshotHeldBack",
    ("POST", "/interactions/mailshots/delivered"): "recordMailshotDelivered",
    ("POST", "/interactions/mailshots/bounced"): "recordMailshotBounced",
    ("POST", "/interactions/mailshots/responded"): "recordMailshotResponded",
    ("POST", "/interactions/mailshots/converted"): "recordMailshotConverted",
    ("POST", "/interactions/surveys"): "recordSurveyReply",
    ("POST", "/interactions/batch"): "recordBatch",
    ("GET", "/log"): "readLog",
    ("GET", "/log/events"): "streamLogEvents",
    ("GET", "/streams/{stream_id}"): "readStream",
    ("GET", "/views/{name}/status"): "getViewStatus",
    ("POST", "/views/{name}/rebuild"): "rebuildView",
    ("GET", "/audit/digest"): "getDigest",
    ("GET", "/audit/verify"): "verifyLog",
    ("GET", "/audit/proof"): "getInclusionProof",
    ("GET", "/audit/consistency"): "getConsistencyProof",
    ("DELETE", "/customers/{ref}/personal-data"): "erasePersonalData",
    ("GET", "/call-reasons"): "getCallReasons",
    ("PUT", "/call-reasons"): "publishCallReasons",
    ("GET", "/contact-policy"): "getContactPolicy",
    ("PUT", "/contact-policy"): "publishContactPolicy",
    ("GET", "/customers/{ref}/contactability"): "getContactability",
    ("POST", "/campaigns/{campaign_id}/suppression"): "suppressCampaignRecipients",
    ("GET", "/customers"): "searchCustomers",
    ("GET", "/customers/lookup"): "lookupCaller",
    ("GET", "/customers/{ref}"): "getCustomer",
    ("GET", "/customers/{ref}/timeline"): "getCustomerTimeline",
    ("GET", "/customers/{ref}/events"): "streamCustomerEvents",
    ("GET", "/metrics/cost"): "getCostMetrics",
    ("GET", "/metrics/cost/agents"): "getAgentMetrics",
    ("GET", "/metrics/cost/distribution"): "getCostDistribution",
    ("GET", "/metrics/crm"): "getCrmMetrics",
    ("GET", "/metrics/crm/contact-pressure"): "getContactPressure",
    ("GET", "/metrics/cem"): "getCemMetrics",
    ("GET", "/metrics/cem/detractors"): "getDetractors",
    ("GET", "/metrics/insights"): "getInsights",
    ("GET", "/display"): "getDisplaySettings",
    ("GET", "/wallboard/events"): "streamWallboard",
}
_WORD = re.compile(r"[A-Za-z0-9]+")


def operation_id(route: APIRoute) -> str:
    """The operation id of ``route``: named in ``OPERATION_IDS``, else made from its
    method and path (``GET /a-b/{c}`` → ``getABByC``)."""
    return _named(sorted(route.methods or {"GET"})[0], route.path)


def name_operations(document: dict[str, Any]) -> None:
    """Every operation of an OpenAPI ``document`` named by ``operation_id``'s rule, also
    those given an ``operation_id`` of their own by their route."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and method.upper() in _METHODS:
                operation["operationId"] = _named(method.upper(), path)


_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _named(method: str, path: str) -> str:
    named = OPERATION_IDS.get((method, path))
    if named is not None:
        return named
    words = [method.lower()]
    for part in path.strip("/").split("/"):
        parameter = part.startswith("{")
        found = [word.capitalize() for word in _WORD.findall(part)]
        words += ["By", *found] if parameter else found
    return "".join(words)
