"""What reading the single customer view returns (pydantic, so the API can serve it as is)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, computed_field

from domain.commands import Purpose

__all__ = [
    "CallDetails",
    "CallingBecause",
    "CallingReason",
    "ChannelCounts",
    "Consent",
    "CustomerProfile",
    "DetractorReply",
    "Interaction",
    "MailshotDetails",
    "NpsCategory",
    "NpsReading",
    "PersonalState",
    "SurveyDetails",
    "TimelinePage",
    "interaction",
    "nps_category",
]

PersonalState = Literal["visible", "withheld", "erased"]
"""visible: decrypted; withheld: the reader may not see personal data; erased: key destroyed."""
NpsCategory = Literal["promoter", "passive", "detractor"]


def nps_category(score: int) -> NpsCategory:
    """METRICS.md: promoters 9-10, passives 7-8, detractors 0-6."""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class CallDetails(_Model):
    """An inbound call as last corrected; ``notes`` is personal (decrypted, withheld or
    erased: None unless the reader may see it and the customer's key still exists)."""

    queue: str
    agent_id: str | None
    reason: str
    outcome: Literal["answered", "abandoned"]
    wait_seconds: int
    talk_seconds: int
    hold_seconds: int
    after_call_work_seconds: int
    handled_seconds: int
    resolved: bool
    transferred: bool
    corrections: int
    notes: str | None = None


class MailshotDetails(_Model):
    """A mailshot sent to the customer, with what followed it."""

    campaign_id: str
    campaign_name: str | None = None  # None: the campaign is not (yet) in the view
    campaign_purpose: Purpose | None = None
    unit_cost: Decimal
    delivered_at: datetime | None
    bounced_at: datetime | None
    responses: int
    first_response_at: datetime | None
    first_response_how: str | None
    conversions: int
    conversion_value: Decimal


class SurveyDetails(_Model):
    """A survey reply; ``comment`` is personal (decrypted, withheld or erased)."""

    survey_kind: str
    nps: int | None
    csat: int | None
    effort: int | None
    comment: str | None
    about_kind: str | None
    about_id: UUID | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def nps_category(self) -> NpsCategory | None:
        return None if self.nps is None else nps_category(self.nps)


class Interaction(_Model):
    """One row of the timeline: exactly one of ``call``, ``mailshot``, ``survey`` is set."""

    position: int
    kind: Literal["call", "mailshot", "survey"]
    channel: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    source_id: str
    call: CallDetails | None = None
    mailshot: MailshotDetails | None = None
    survey: SurveyDetails | None = None


def interaction(
    row: dict[str, Any], open_personal: Callable[[str | None], str | None]
) -> Interaction:
    """The timeline row ``row`` (a ``customer_timeline`` row as a dict) as an Interaction."""
    kind = row["kind"]
    details: dict[str, Any] = {}
    if kind == "call":
        call = row | {"notes": open_personal(row.get("notes"))}
        details["call"] = CallDetails.model_validate(call)
    elif kind == "mailshot":
        details["mailshot"] = MailshotDetails.model_validate(row)
    else:
        survey = row | {"comment": open_personal(row["comment"])}
        details["survey"] = SurveyDetails.model_validate(survey)
    common = ("position", "kind", "channel", "occurred_at", "recorded_at", "source", "source_id")
    return Interaction(**{name: row[name] for name in common}, **details)


class TimelinePage(_Model):
    """A page of the timeline, newest first, with cursors for the pages around it."""

    customer_ref: str
    items: list[Interaction]
    older: int | None  # pass as ``before`` for the next older page; None: no more
    newer: int | None  # pass as ``after`` for the newer page; None: this is the newest
    personal_data: PersonalState


class Consent(_Model):
    """Marketing consent on one channel, as last changed."""

    granted: bool
    changed_at: datetime


class ChannelCounts(_Model):
    """Interactions per channel (calls are ``phone``) and in all."""

    phone: int
    post: int
    email: int
    sms: int
    survey: int
    lifetime: int


class NpsReading(_Model):
    """The customer's latest NPS score (by occurred_at)."""

    position: int
    occurred_at: datetime
    score: int
    category: NpsCategory


class DetractorReply(_Model):
    """A detractor reply with no outbound mailshot or answered call after it in the loop.

    ``open``: ``at`` is before ``follow_up_due``; ``expired``: the window closed (from its
    end instant on, METRICS.md) without a follow-up.
    """

    position: int
    occurred_at: datetime
    nps: int
    follow_up_due: datetime
    state: Literal["open", "expired"]


CallingBecause = Literal["recent_outbound", "unresolved_call", "open_detractor", "repeat_contact"]


class CallingReason(_Model):
    """Why the customer may be calling (``projections.customer.why``): the kind of reason,
    a plain sentence an agent can act on, and the timeline item it is about."""

    because: CallingBecause
    sentence: str
    interaction: Interaction | None


class CustomerProfile(_Model):
    """The single customer view of one customer as of ``at`` (METRICS.md)."""

    customer_ref: str
    at: datetime
    view_position: int
    registered: bool
    registered_at: datetime | None
    personal_data: PersonalState
    name: str | None
    email: str | None
    phone: str | None
    segment: str | None
    erased_at: datetime | None
    consent: dict[str, Consent]
    counts: ChannelCounts
    last_contact: datetime | None
    recent_interactions: list[Interaction]
    latest_nps: NpsReading | None
    open_detractors: list[DetractorReply]
    expired_detractors: list[DetractorReply]
    calls_in_repeat_window: int
    repeat_window_days: int
    repeat_contact: bool
    mailshots_last_30_days: int
    pressure_cap: int
    lifetime_handled_seconds: int
    lifetime_handled_cost: Decimal
    why_calling: list[CallingReason]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def open_detractor(self) -> bool:
        """A detractor reply is still waiting for its follow-up, inside its window
        (expired ones, whose window closed without one, are ``expired_detractors``)."""
        return bool(self.open_detractors)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def over_pressure_cap(self) -> bool:
        """More mailshots in the last 30 days than the cap allows."""
        return self.mailshots_last_30_days > self.pressure_cap
