"""Commands: the validated input of every fact kind (pydantic, at the boundary).

Shape and types are checked here (unknown fields refused, time zones required,
bounded strings without control characters); the rules of the domain (ranges,
non-negative durations, references) are ``check_*`` guards in ``rules``.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
)

from domain import ids
from domain.policy import RULES, Rule

__all__ = [
    "MAX_NOTES",
    "MAX_QUIET_DAYS",
    "MAX_REASONS",
    "AnyCommand",
    "CallReason",
    "ChangeContactDetails",
    "ChangeMarketingConsent",
    "Channel",
    "Command",
    "ConsentChannel",
    "CorrectCall",
    "CustomerCommand",
    "EraseCustomer",
    "Flag",
    "FreeText",
    "InteractionRef",
    "MailshotFollowUp",
    "MailshotOpening",
    "Money",
    "PlanCampaign",
    "PublishContactPolicy",
    "Purpose",
    "ReasonCode",
    "RecordCall",
    "RecordContactSuppressed",
    "RecordMailshotBounced",
    "RecordMailshotConverted",
    "RecordMailshotDelivered",
    "RecordMailshotHeldBack",
    "RecordMailshotResponded",
    "RecordMailshotSent",
    "RecordSurveyReply",
    "Ref",
    "RegisterCustomer",
    "Seconds",
    "Text",
]

Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
]
FreeText = Annotated[str, StringConstraints(min_length=1, max_length=4000, pattern=r"^[^\x00]*$")]
MAX_NOTES = 2000
MAX_REASONS = 200
MAX_QUIET_DAYS = 3650  # ten years: longer is "never", which is what erasure is for


def _blank_is_none(text: str) -> str | None:
    return text or None


# A call's notes: free text (several lines), trimmed, at most 2,000 characters once
# trimmed; only blanks is no notes at all.
Notes = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=MAX_NOTES, pattern=r"^[^\x00]*$"),
    AfterValidator(_blank_is_none),
]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$"
    ),
]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=4, allow_inf_nan=False)]
Seconds = Annotated[int, Strict()]  # refuse true/false and 1.5 as durations
Flag = Annotated[bool, Strict()]  # refuse 0/1, "true", "yes" and the like as yes/no
# phone: an outbound call of a telemarketing campaign (DESIGN.md: sent = dialled,
# delivered = reached, bounced = not reached); consent is asked per channel alike.
Channel = Literal["post", "email", "sms", "phone"]
ConsentChannel = Channel
Purpose = Literal["alert", "service", "marketing", "newsletter"]
"""Why a campaign is sent, most urgent first: an alert (fraud, service outage) asks for a
reply at once; service messages inform; marketing sells; a newsletter asks for nothing."""
# What json.dumps(..., sort_keys=True, separators=(",", ":")) uses, made once:
# json.dumps builds a new encoder per call, a third of what hashing a fact cost.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


class Command(BaseModel):
    """Fields every fact input has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: AwareDatetime
    source: Text
    source_id: Text

    KIND: ClassVar[str] = ""
    PERSONAL: ClassVar[tuple[str, ...]] = ()
    # Facts that open their own stream share its id, so a second opener of the
    # same stream (e.g. sent vs held back) is a conflict, not a new fact.
    OPENS_STREAM: ClassVar[bool] = False

    @property
    def customer(self) -> str | None:
        return getattr(self, "customer_ref", None)

    def stream_id(self) -> UUID:
        raise NotImplementedError

    def fact_id(self) -> UUID:
        if self.OPENS_STREAM:
            return self.stream_id()
        return ids.derive_id(self.KIND, self.source, self.source_id)

    def streams_to_load(self) -> tuple[UUID, ...]:
        """Streams whose history the rules need (besides a stream this opens)."""
        return () if self.OPENS_STREAM else (self.stream_id(),)

    def hashed_content(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def content_hash(self, fingerprint: Any) -> bytes:
        """SHA-256 of the canonical content; personal fields as keyed fingerprints."""
        content = self.hashed_content()
        for name in self.PERSONAL:
            if content.get(name) is not None:
                content[name] = fingerprint(self.customer, content[name])
        canonical = _CANONICAL_JSON.encode(content)
        return hashlib.sha256(canonical.encode()).digest()


class Ref(BaseModel):
    """Reference to another fact by its originating system's id."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: Text
    source_id: Text


class InteractionRef(Ref):
    kind: Literal["call", "mailshot"]


class CustomerCommand(Command):
    customer_ref: Text

    def stream_id(self) -> UUID:
        return ids.customer_stream_id(self.customer_ref)


class RegisterCustomer(CustomerCommand):
    kind: Literal["customer_registered"] = "customer_registered"
    name: FreeText | None = None
    email: Text | None = None
    phone: Text | None = None
    segment: Text | None = None
    KIND = "CustomerRegistered"
    PERSONAL = ("name", "email", "phone")


class ChangeContactDetails(CustomerCommand):
    kind: Literal["contact_details_changed"] = "contact_details_changed"
    name: FreeText | None = None
    email: Text | None = None
    phone: Text | None = None
    KIND = "ContactDetailsChanged"
    PERSONAL = ("name", "email", "phone")


class ChangeMarketingConsent(CustomerCommand):
    kind: Literal["marketing_consent_changed"] = "marketing_consent_changed"
    channel: ConsentChannel
    granted: Flag
    KIND = "MarketingConsentChanged"


class EraseCustomer(CustomerCommand):
    kind: Literal["customer_erased"] = "customer_erased"
    reason: Text | None = None
    KIND = "CustomerErased"

    def hashed_content(self) -> dict[str, Any]:
        # Erasing twice is the same fact, whenever and why it was asked again.
        return {"customer_ref": self.customer_ref}


class PlanCampaign(Command):
    kind: Literal["campaign_planned"] = "campaign_planned"
    campaign_id: Text
    name: Text
    channel: Channel
    fixed_cost: Money = Decimal(0)
    attribution_window_days: int = 30
    purpose: Purpose = "marketing"
    KIND = "CampaignPlanned"

    def stream_id(self) -> UUID:
        return ids.campaign_stream_id(self.campaign_id)

    def hashed_content(self) -> dict[str, Any]:
        # The default purpose is left out, so a plan sent again after ``purpose`` existed
        # is still the duplicate of the one recorded before (same content hash).
        content = super().hashed_content()
        if content["purpose"] == "marketing":
            del content["purpose"]
        return content


class RecordCall(CustomerCommand):
    kind: Literal["call_recorded"] = "call_recorded"
    queue: Text
    agent_id: Text | None = None
    reason: Text
    offered_at: AwareDatetime | None = None
    wait_seconds: Seconds
    outcome: Literal["answered", "abandoned"]
    talk_seconds: Seconds = 0
    hold_seconds: Seconds = 0
    after_call_work_seconds: Seconds = 0
    resolved: Flag = False
    transferred: Flag = False
    notes: Notes | None = Field(
        default=None,
        description="The agent's notes: free text, trimmed, at most 2,000 characters; "
        "personal (sealed under the customer's key, unreadable once they are erased).",
    )
    KIND = "CallRecorded"
    PERSONAL = ("notes",)
    OPENS_STREAM = True

    def stream_id(self) -> UUID:
        return ids.call_stream_id(self.source, self.source_id)


class CorrectCall(CustomerCommand):
    kind: Literal["call_corrected"] = "call_corrected"
    call: Ref
    queue: Text | None = None
    agent_id: Text | None = None
    reason: Text | None = None
    talk_seconds: Seconds | None = None
    hold_seconds: Seconds | None = None
    after_call_work_seconds: Seconds | None = None
    resolved: Flag | None = None
    transferred: Flag | None = None
    KIND = "CallCorrected"

    def stream_id(self) -> UUID:
        return ids.call_stream_id(self.call.source, self.call.source_id)


class CallReason(BaseModel):
    """One reason of the centre's list: a stable code and what agents read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: ReasonCode = Field(description="Lowercase slug: a-z, 0-9 and '-', 1 to 40 long.")
    label: Label = Field(description="What the desktop shows, 1 to 80 characters.")


class PublishCallReasons(Command):
    """A new list of call reasons; the latest published is the one in force."""

    kind: Literal["call_reasons_published"] = "call_reasons_published"
    reasons: list[CallReason] = Field(max_length=MAX_REASONS)
    free_text_allowed: Flag
    KIND = "CallReasonsPublished"

    def stream_id(self) -> UUID:
        return ids.call_reasons_stream_id()


QuietDays = Annotated[int, Strict(), Field(ge=0, le=MAX_QUIET_DAYS)]


class PublishContactPolicy(Command):
    """A new contact policy; the latest published is the one in force (``domain.policy``)."""

    kind: Literal["contact_policy_published"] = "contact_policy_published"
    pressure_cap: Annotated[int, Strict(), Field(ge=0, le=1000)]
    unresolved_call_quiet_days: QuietDays
    detractor_quiet_days: QuietDays
    complaint_quiet_days: QuietDays
    complaint_reasons: list[ReasonCode] = Field(max_length=MAX_REASONS)
    KIND = "ContactPolicyPublished"

    def stream_id(self) -> UUID:
        return ids.contact_policy_stream_id()


class RecordContactSuppressed(CustomerCommand):
    """A campaign's recipient suppressed by the contact policy, with the rules that blocked."""

    kind: Literal["contact_suppressed"] = "contact_suppressed"
    campaign_id: Text
    channel: Channel
    at: AwareDatetime
    rules: list[Rule] = Field(min_length=1, max_length=len(RULES))
    policy_position: int | None = Field(default=None, ge=1)
    KIND = "ContactSuppressed"
    OPENS_STREAM = True

    def stream_id(self) -> UUID:
        return ids.suppression_stream_id(self.source, self.source_id)


class MailshotOpening(CustomerCommand):
    campaign_id: Text
    channel: Channel
    OPENS_STREAM = True

    def stream_id(self) -> UUID:
        return ids.mailshot_stream_id(self.source, self.source_id)

    def streams_to_load(self) -> tuple[UUID, ...]:
        return (ids.campaign_stream_id(self.campaign_id),)

    def opening_fields(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "channel": self.channel}


class RecordMailshotSent(MailshotOpening):
    kind: Literal["mailshot_sent"] = "mailshot_sent"
    unit_cost: Money = Decimal(0)
    KIND = "MailshotSent"


class RecordMailshotHeldBack(MailshotOpening):
    kind: Literal["mailshot_held_back"] = "mailshot_held_back"
    KIND = "MailshotHeldBack"


class MailshotFollowUp(CustomerCommand):
    mailshot: Ref

    def stream_id(self) -> UUID:
        return ids.mailshot_stream_id(self.mailshot.source, self.mailshot.source_id)


class RecordMailshotDelivered(MailshotFollowUp):
    kind: Literal["mailshot_delivered"] = "mailshot_delivered"
    KIND = "MailshotDelivered"


class RecordMailshotBounced(MailshotFollowUp):
    kind: Literal["mailshot_bounced"] = "mailshot_bounced"
    reason: Text | None = None
    KIND = "MailshotBounced"


class RecordMailshotResponded(MailshotFollowUp):
    kind: Literal["mailshot_responded"] = "mailshot_responded"
    how: Text
    KIND = "MailshotResponded"


class RecordMailshotConverted(MailshotFollowUp):
    kind: Literal["mailshot_converted"] = "mailshot_converted"
    value: Money
    KIND = "MailshotConverted"


class RecordSurveyReply(CustomerCommand):
    kind: Literal["survey_replied"] = "survey_replied"
    survey_kind: Literal["transactional", "relationship"]
    nps: int | None = None
    csat: int | None = None
    effort: int | None = None
    comment: FreeText | None = None
    about: InteractionRef | None = None
    KIND = "SurveyReplied"
    PERSONAL = ("comment",)
    OPENS_STREAM = True

    def stream_id(self) -> UUID:
        return ids.survey_stream_id(self.source, self.source_id)

    def about_id(self) -> UUID | None:
        if self.about is None:
            return None
        derive = {"call": ids.call_stream_id, "mailshot": ids.mailshot_stream_id}
        return derive[self.about.kind](self.about.source, self.about.source_id)

    def streams_to_load(self) -> tuple[UUID, ...]:
        about = self.about_id()
        return () if about is None else (about,)


AnyCommand = Annotated[
    RegisterCustomer
    | ChangeContactDetails
    | ChangeMarketingConsent
    | PlanCampaign
    | RecordCall
    | CorrectCall
    | RecordMailshotSent
    | RecordMailshotHeldBack
    | RecordMailshotDelivered
    | RecordMailshotBounced
    | RecordMailshotResponded
    | RecordMailshotConverted
    | RecordSurveyReply,
    Field(discriminator="kind"),
]
"""Any fact a caller may send in a batch (erasure is an admin command of its own)."""
