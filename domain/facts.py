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
    "CallReasonsPublished",
    "CallRecorded",
    "CampaignPlanned",
    "ContactDetailsChanged",
    "ContactPolicyPublished",
    "ContactSuppressed",
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
    """A campaign planned before its sends. v2 added ``purpose`` (alert, service,
    marketing or newsletter: how urgently a send invites a reply)."""

    campaign_id: str
    name: str
    channel: str
    fixed_cost: Decimal
    attribution_window_days: int
    purpose: str

    class_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """v1 had no ``purpose``: campaigns were planned for marketing (the only kind the
        CRM stage knew); an alert or a newsletter planned then reads as marketing."""
        state["purpose"] = "marketing"


@fact("touchpoint:CallRecorded")
@dataclass(frozen=True)
class CallRecorded(CustomerFact):
    """An inbound call as the ACD reported it (or an agent wrapped it up).

    v2 added ``offered_at``; v3 added ``notes``, the agent's free text, personal
    (ciphertext under the customer's key, like a survey comment).
    """

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
    notes: str | None

    class_version: ClassVar[int] = 3
    PERSONAL: ClassVar[tuple[str, ...]] = ("notes",)

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """v1 had no ``offered_at``: the call was offered when it occurred."""
        state["offered_at"] = state["occurred_at"]

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """v2 had no ``notes``: nobody wrote any."""
        state["notes"] = None


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


@fact("touchpoint:CallReasonsPublished")
@dataclass(frozen=True)
class CallReasonsPublished(Fact):
    """The centre's list of call reasons, as an admin published it (it replaces the last).

    ``reasons`` is a list of ``{"code", "label"}``; ``free_text_allowed`` says whether an
    agent may record a reason that is not on the list.
    """

    reasons: list[dict[str, str]]
    free_text_allowed: bool


@fact("touchpoint:ContactPolicyPublished")
@dataclass(frozen=True)
class ContactPolicyPublished(Fact):
    """The centre's contact policy, as an admin published it (it replaces the last).

    ``pressure_cap``: mailshots per 30 days a customer may have before no more are sent;
    the ``*_quiet_days``: no marketing for that many days after an unresolved call, a
    detractor reply left without follow-up, or a call whose reason is one of
    ``complaint_reasons`` (0 switches a quiet period off). See ``domain.policy``.
    """

    pressure_cap: int
    unresolved_call_quiet_days: int
    detractor_quiet_days: int
    complaint_quiet_days: int
    complaint_reasons: list[str]


@fact("touchpoint:ContactSuppressed")
@dataclass(frozen=True)
class ContactSuppressed(CustomerFact):
    """A campaign's recipient was not contacted: the contact policy blocked them.

    ``rules``: the names of the rules that blocked (``domain.policy.RULES``);
    ``policy_position``: the policy applied (None: the default); ``at``: the instant the
    policy was asked about (``occurred_at``: when it was asked).
    """

    campaign_id: str
    channel: str
    at: datetime
    rules: list[str]
    policy_position: int | None


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
