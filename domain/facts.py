"""The facts: immutable, past-tense domain events with stable topics.

Every fact is an ``eventsourcing`` ``DomainEvent``: ``originator_id`` is its
stream, ``originator_version`` its place in the stream and ``timestamp`` the
recording time. ``occurred_at`` is when it happened in the world. Personal fields
(listed in ``PERSONAL``) hold ciphertext sealed under the customer's data key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import (  # type: ignore[attr-defined]  # re-exported by the library
    DomainEvent,
    register_topic,
)

__all__ = [
    "FACT_TYPES",
    "CallCorrected",
    "CallRecorded",
    "CampaignPlanned",
    "ContactDetailsChanged",
    "CustomerErased",
    "CustomerFact",
    "CustomerRegistered",
    "Fact",
    "MailshotBounced",
    "MailshotConverted",
    "MailshotDelivered",
    "MailshotFact",
    "MailshotHeldBack",
    "MailshotResponded",
    "MailshotSent",
    "MarketingConsentChanged",
    "SurveyReplied",
    "fact",
    "topic_of",
]

FACT_TYPES: dict[str, type[Fact]] = {}
_F = TypeVar("_F", bound="type[Fact]")


def fact(topic: str) -> Any:
    """Give a fact class its stable topic and register it under its name."""

    def register(cls: _F) -> _F:
        cls.TOPIC = topic
        # The library registers a TOPIC only when it first writes the class, so a
        # process that only reads the log could not resolve stored topics.
        register_topic(topic, cls)
        FACT_TYPES[cls.__name__] = cls
        return cls

    return register


@dataclass(frozen=True)
class Fact(DomainEvent):
    """Fields every fact carries."""

    occurred_at: datetime
    source: str
    source_id: str
    recorded_by: str

    TOPIC: ClassVar[str] = ""
    PERSONAL: ClassVar[tuple[str, ...]] = ()

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class CustomerFact(Fact):
    """A fact about one customer."""

    customer_ref: str


@fact("touchpoint:CustomerRegistered")
@dataclass(frozen=True)
class CustomerRegistered(CustomerFact):
    name: str | None
    email: str | None
    phone: str | None
    segment: str | None
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "email", "phone")


@fact("touchpoint:ContactDetailsChanged")
@dataclass(frozen=True)
class ContactDetailsChanged(CustomerFact):
    name: str | None
    email: str | None
    phone: str | None
    PERSONAL: ClassVar[tuple[str, ...]] = ("name", "email", "phone")


@fact("touchpoint:MarketingConsentChanged")
@dataclass(frozen=True)
class MarketingConsentChanged(CustomerFact):
    channel: str
    granted: bool


@fact("touchpoint:CustomerErased")
@dataclass(frozen=True)
class CustomerErased(CustomerFact):
    reason: str | None


@fact("touchpoint:CampaignPlanned")
@dataclass(frozen=True)
class CampaignPlanned(Fact):
    campaign_id: str
    name: str
    channel: str
    fixed_cost: Decimal
    attribution_window_days: int


@fact("touchpoint:CallRecorded")
@dataclass(frozen=True)
class CallRecorded(CustomerFact):
    """An inbound call as the ACD reported it. v2 added ``offered_at``."""

    queue: str
    agent_id: str | None
    reason: str
    offered_at: datetime
    wait_seconds: int
    outcome: str  # "answered" | "abandoned"
    talk_seconds: int
    hold_seconds: int
    after_call_work_seconds: int
    resolved: bool
    transferred: bool

    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """v1 had no ``offered_at``: the call was offered when it occurred."""
        state["offered_at"] = state["occurred_at"]


@fact("touchpoint:CallCorrected")
@dataclass(frozen=True)
class CallCorrected(CustomerFact):
    """Amended wrap-up fields of a call; ``None`` leaves a field as it was."""

    queue: str | None
    agent_id: str | None
    reason: str | None
    talk_seconds: int | None
    hold_seconds: int | None
    after_call_work_seconds: int | None
    resolved: bool | None
    transferred: bool | None


@dataclass(frozen=True)
class MailshotFact(CustomerFact):
    """A fact about one mailshot to one recipient."""

    campaign_id: str


@fact("touchpoint:MailshotSent")
@dataclass(frozen=True)
class MailshotSent(MailshotFact):
    channel: str
    unit_cost: Decimal


@fact("touchpoint:MailshotHeldBack")
@dataclass(frozen=True)
class MailshotHeldBack(MailshotFact):
    """The recipient was put in the campaign's control group and not mailed."""

    channel: str


@fact("touchpoint:MailshotDelivered")
@dataclass(frozen=True)
class MailshotDelivered(MailshotFact):
    pass


@fact("touchpoint:MailshotBounced")
@dataclass(frozen=True)
class MailshotBounced(MailshotFact):
    reason: str | None


@fact("touchpoint:MailshotResponded")
@dataclass(frozen=True)
class MailshotResponded(MailshotFact):
    how: str


@fact("touchpoint:MailshotConverted")
@dataclass(frozen=True)
class MailshotConverted(MailshotFact):
    value: Decimal


@fact("touchpoint:SurveyReplied")
@dataclass(frozen=True)
class SurveyReplied(CustomerFact):
    survey_kind: str  # "transactional" | "relationship"
    nps: int | None
    csat: int | None
    effort: int | None
    comment: str | None
    about_kind: str | None  # "call" | "mailshot"
    about_id: UUID | None
    PERSONAL: ClassVar[tuple[str, ...]] = ("comment",)


def topic_of(kind: str) -> str:
    """The stored topic of a fact kind (its class name)."""
    return FACT_TYPES[kind].TOPIC
