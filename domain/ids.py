"""Deterministic identities: the same fact sent twice maps to the same ids."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

__all__ = [
    "NAMESPACE",
    "OWN_SOURCE",
    "call_reasons_stream_id",
    "call_stream_id",
    "campaign_stream_id",
    "contact_policy_stream_id",
    "customer_stream_id",
    "derive_id",
    "mailshot_stream_id",
    "suppression_stream_id",
    "survey_stream_id",
]

NAMESPACE = UUID("6f1d3c2e-8a4b-5c1d-9e7f-0a1b2c3d4e5f")
# Callers' strings never contain control characters (the input models refuse
# them), so the unit separator keeps ("a|b", "c") and ("a", "b|c") apart.
_SEPARATOR = "\x1f"
OWN_SOURCE = "touchpoint"


# A unit of work asks for the same ids several times (the fact, its stream, the
# customer's key and its ciphertexts' associated data): uuid5 was a tenth of the
# CPU of recording a batch. Those asks come close together, so a small cache
# serves them: 8,192 entries (about 3 MB) cover a batch of 1,000 facts, where
# 65,536 held some 25 MB of ids never asked for again (the soak's memory growth).
# Bounded, and a pure function, so safe to share.
@lru_cache(maxsize=1 << 13)
def derive_id(kind: str, source: str, source_id: str) -> UUID:
    """The uuid5 of (kind, source, source_id)."""
    return uuid5(NAMESPACE, _SEPARATOR.join((kind, source, source_id)))


def customer_stream_id(customer_ref: str) -> UUID:
    """Stream of one customer: keyed by the customer reference alone."""
    return derive_id("customer", OWN_SOURCE, customer_ref)


def campaign_stream_id(campaign_id: str) -> UUID:
    """Stream of one campaign: keyed by its campaign id."""
    return derive_id("campaign", OWN_SOURCE, campaign_id)


def call_stream_id(source: str, source_id: str) -> UUID:
    """Stream of one inbound call, keyed by the ACD's call id."""
    return derive_id("call", source, source_id)


def call_reasons_stream_id() -> UUID:
    """The one stream of the centre's call-reason lists, each publication a new version."""
    return derive_id("call-reasons", OWN_SOURCE, "centre")


def contact_policy_stream_id() -> UUID:
    """The one stream of the centre's contact policies, each publication a new version."""
    return derive_id("contact-policy", OWN_SOURCE, "centre")


def mailshot_stream_id(source: str, source_id: str) -> UUID:
    """Stream of one mailshot to one recipient, keyed by the send's id."""
    return derive_id("mailshot", source, source_id)


def suppression_stream_id(source: str, source_id: str) -> UUID:
    """Stream of one suppressed recipient of one suppression run."""
    return derive_id("suppression", source, source_id)


def survey_stream_id(source: str, source_id: str) -> UUID:
    """Stream of one survey reply, keyed by the survey tool's response id."""
    return derive_id("survey", source, source_id)
