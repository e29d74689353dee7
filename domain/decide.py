"""Decisions: a validated command plus the streams it concerns gives one new fact."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain import commands as c
from domain import facts as f
from domain import rules
from domain.ports import Keyring

__all__ = [
    "DECISIONS",
    "Session",
    "call_as_corrected",
    "change_contact_details",
    "change_marketing_consent",
    "correct_call",
    "decide",
    "erase_customer",
    "plan_campaign",
    "publish_call_reasons",
    "publish_contact_policy",
    "record_call",
    "record_contact_suppressed",
    "record_mailshot_bounced",
    "record_mailshot_converted",
    "record_mailshot_delivered",
    "record_mailshot_held_back",
    "record_mailshot_responded",
    "record_mailshot_sent",
    "record_survey_reply",
    "register_customer",
]


class Session(Protocol):
    """What a decision may read: streams as they stand, the clock, the keys."""

    now: datetime
    author: str
    keyring: Keyring
    earliest: datetime  # the earliest accepted occurred_at (TOUCHPOINT_EARLIEST_DATE)

    def stream(self, stream_id: UUID) -> Sequence[f.Fact]:
        """Facts of a stream so far, including ones decided earlier in this batch."""


def _base(cmd: c.Command, session: Session) -> dict[str, Any]:
    rules.check_occurred_at(cmd.occurred_at, session.now, "occurred_at", session.earliest)
    stream_id = cmd.stream_id()
    fields: dict[str, Any] = {
        "originator_id": stream_id,
        "originator_version": len(session.stream(stream_id)) + 1,
        "timestamp": session.now,
        "occurred_at": cmd.occurred_at,
        "source": cmd.source,
        "source_id": cmd.source_id,
        "recorded_by": session.author,
    }
    if isinstance(cmd, c.CustomerCommand):
        fields["customer_ref"] = cmd.customer_ref
    return fields


def _sealed(cmd: c.Command, session: Session) -> dict[str, Any]:
    """Personal fields of ``cmd`` as ciphertext under the customer's key."""
    assert cmd.customer is not None
    sealed: dict[str, Any] = {}
    for name in cmd.PERSONAL:
        value = getattr(cmd, name)
        sealed[name] = None if value is None else session.keyring.seal(cmd.customer, value)
    return sealed


def register_customer(cmd: c.RegisterCustomer, s: Session) -> f.Fact:
    customer = s.stream(cmd.stream_id())
    rules.check_not_erased(customer, cmd.customer_ref)
    rules.check_not_registered(customer, cmd.customer_ref)
    return f.CustomerRegistered(**_base(cmd, s), **_sealed(cmd, s), segment=cmd.segment)


def change_contact_details(cmd: c.ChangeContactDetails, s: Session) -> f.Fact:
    rules.check_not_erased(s.stream(cmd.stream_id()), cmd.customer_ref)
    rules.check_something_changes(name=cmd.name, email=cmd.email, phone=cmd.phone)
    return f.ContactDetailsChanged(**_base(cmd, s), **_sealed(cmd, s))


def change_marketing_consent(cmd: c.ChangeMarketingConsent, s: Session) -> f.Fact:
    return f.MarketingConsentChanged(**_base(cmd, s), channel=cmd.channel, granted=cmd.granted)


def erase_customer(cmd: c.EraseCustomer, s: Session) -> f.Fact:
    return f.CustomerErased(**_base(cmd, s), reason=cmd.reason)


def plan_campaign(cmd: c.PlanCampaign, s: Session) -> f.Fact:
    rules.check_campaign_not_planned(s.stream(cmd.stream_id()), cmd.campaign_id)
    rules.check_amount("fixed_cost", cmd.fixed_cost)
    rules.check_window_days(cmd.attribution_window_days)
    return f.CampaignPlanned(
        **_base(cmd, s),
        campaign_id=cmd.campaign_id,
        name=cmd.name,
        channel=cmd.channel,
        fixed_cost=cmd.fixed_cost,
        attribution_window_days=cmd.attribution_window_days,
        purpose=cmd.purpose,
    )


_CALL_DURATIONS = ("wait_seconds", "talk_seconds", "hold_seconds", "after_call_work_seconds")
_CALL_FIELDS = ("queue", "agent_id", "reason", "outcome", *_CALL_DURATIONS)


def record_call(cmd: c.RecordCall, s: Session) -> f.Fact:
    for name in _CALL_DURATIONS:
        rules.check_non_negative(name, getattr(cmd, name))
    rules.check_abandoned_without_talk(
        cmd.outcome, cmd.talk_seconds, cmd.hold_seconds, cmd.after_call_work_seconds
    )
    offered_at = cmd.offered_at or cmd.occurred_at
    if cmd.offered_at is not None:  # else _base names occurred_at, the field given
        rules.check_occurred_at(offered_at, s.now, "offered_at", s.earliest)
    fields = {name: getattr(cmd, name) for name in _CALL_FIELDS}  # plain values: no model_dump
    return f.CallRecorded(
        **_base(cmd, s),
        **fields,
        **_sealed(cmd, s),
        offered_at=offered_at,
        resolved=cmd.resolved,
        transferred=cmd.transferred,
    )


def publish_call_reasons(cmd: c.PublishCallReasons, s: Session) -> f.Fact:
    codes = [reason.code for reason in cmd.reasons]
    rules.check_unique_codes(codes)
    rules.check_some_reason_allowed(codes, cmd.free_text_allowed)
    return f.CallReasonsPublished(
        **_base(cmd, s),
        reasons=[{"code": r.code, "label": r.label} for r in cmd.reasons],
        free_text_allowed=cmd.free_text_allowed,
    )


def publish_contact_policy(cmd: c.PublishContactPolicy, s: Session) -> f.Fact:
    rules.check_unique_codes(cmd.complaint_reasons, field="complaint_reasons.{}")
    return f.ContactPolicyPublished(
        **_base(cmd, s),
        pressure_cap=cmd.pressure_cap,
        unresolved_call_quiet_days=cmd.unresolved_call_quiet_days,
        detractor_quiet_days=cmd.detractor_quiet_days,
        complaint_quiet_days=cmd.complaint_quiet_days,
        complaint_reasons=list(cmd.complaint_reasons),
    )


def record_contact_suppressed(cmd: c.RecordContactSuppressed, s: Session) -> f.Fact:
    return f.ContactSuppressed(
        **_base(cmd, s),
        campaign_id=cmd.campaign_id,
        channel=cmd.channel,
        at=cmd.at,
        rules=list(cmd.rules),
        policy_position=cmd.policy_position,
    )


_CORRECTABLE = (
    "queue",
    "agent_id",
    "reason",
    "talk_seconds",
    "hold_seconds",
    "after_call_work_seconds",
    "resolved",
    "transferred",
)


def correct_call(cmd: c.CorrectCall, s: Session) -> f.Fact:
    call = s.stream(cmd.stream_id())
    recorded = rules.check_call_exists(call)
    rules.check_same_customer(recorded, cmd.customer_ref, "call")
    amended = {name: getattr(cmd, name) for name in _CORRECTABLE}
    rules.check_something_changes(**amended)
    for name in _CALL_DURATIONS[1:]:
        rules.check_non_negative(name, amended[name])
    current = call_as_corrected(call)
    merged = {k: current[k] if v is None else v for k, v in amended.items()}
    rules.check_abandoned_without_talk(
        recorded.outcome,
        merged["talk_seconds"],
        merged["hold_seconds"],
        merged["after_call_work_seconds"],
    )
    return f.CallCorrected(**_base(cmd, s), **amended)


def call_as_corrected(call: Sequence[f.Fact]) -> dict[str, Any]:
    """The correctable fields of a call after every correction, in order."""
    current = {name: getattr(call[0], name) for name in _CORRECTABLE}
    for fact in call[1:]:
        if isinstance(fact, f.CallCorrected):
            current |= {n: getattr(fact, n) for n in _CORRECTABLE if getattr(fact, n) is not None}
    return current


def _mailshot_opening(cmd: c.MailshotOpening, s: Session) -> dict[str, Any]:
    rules.check_campaign_planned(s.stream(cmd.streams_to_load()[0]), cmd.campaign_id)
    return _base(cmd, s) | cmd.opening_fields()


def record_mailshot_sent(cmd: c.RecordMailshotSent, s: Session) -> f.Fact:
    rules.check_amount("unit_cost", cmd.unit_cost)
    return f.MailshotSent(**_mailshot_opening(cmd, s), unit_cost=cmd.unit_cost)


def record_mailshot_held_back(cmd: c.RecordMailshotHeldBack, s: Session) -> f.Fact:
    return f.MailshotHeldBack(**_mailshot_opening(cmd, s))


def _follow_up(cmd: c.MailshotFollowUp, s: Session, *, mailed: str | None) -> dict[str, Any]:
    opening = rules.check_mailshot_exists(s.stream(cmd.stream_id()))
    rules.check_same_customer(opening, cmd.customer_ref, "mailshot")
    if mailed is not None:
        rules.check_was_mailed(opening, mailed)
    rules.check_after_send(opening, cmd.occurred_at)
    return _base(cmd, s) | {"campaign_id": opening.campaign_id}


def record_mailshot_delivered(cmd: c.RecordMailshotDelivered, s: Session) -> f.Fact:
    return f.MailshotDelivered(**_follow_up(cmd, s, mailed="delivery"))


def record_mailshot_bounced(cmd: c.RecordMailshotBounced, s: Session) -> f.Fact:
    return f.MailshotBounced(**_follow_up(cmd, s, mailed="bounce"), reason=cmd.reason)


def record_mailshot_responded(cmd: c.RecordMailshotResponded, s: Session) -> f.Fact:
    return f.MailshotResponded(**_follow_up(cmd, s, mailed=None), how=cmd.how)


def record_mailshot_converted(cmd: c.RecordMailshotConverted, s: Session) -> f.Fact:
    rules.check_amount("value", cmd.value)
    return f.MailshotConverted(**_follow_up(cmd, s, mailed=None), value=cmd.value)


def record_survey_reply(cmd: c.RecordSurveyReply, s: Session) -> f.Fact:
    rules.check_some_score(cmd.nps, cmd.csat, cmd.effort)
    rules.check_score("nps", cmd.nps, rules.NPS_RANGE)
    rules.check_score("csat", cmd.csat, rules.CSAT_RANGE)
    rules.check_score("effort", cmd.effort, rules.EFFORT_RANGE)
    about_id = cmd.about_id()
    if about_id is not None:
        about = s.stream(about_id)
        rules.check_interaction_exists(about)
        rules.check_same_customer(about[0], cmd.customer_ref, "interaction")
    return f.SurveyReplied(
        **_base(cmd, s),
        **_sealed(cmd, s),
        survey_kind=cmd.survey_kind,
        nps=cmd.nps,
        csat=cmd.csat,
        effort=cmd.effort,
        about_kind=None if cmd.about is None else cmd.about.kind,
        about_id=about_id,
    )


DECISIONS: dict[type[c.Command], Callable[[Any, Session], f.Fact]] = {
    c.RegisterCustomer: register_customer,
    c.ChangeContactDetails: change_contact_details,
    c.ChangeMarketingConsent: change_marketing_consent,
    c.EraseCustomer: erase_customer,
    c.PlanCampaign: plan_campaign,
    c.RecordCall: record_call,
    c.PublishCallReasons: publish_call_reasons,
    c.PublishContactPolicy: publish_contact_policy,
    c.RecordContactSuppressed: record_contact_suppressed,
    c.CorrectCall: correct_call,
    c.RecordMailshotSent: record_mailshot_sent,
    c.RecordMailshotHeldBack: record_mailshot_held_back,
    c.RecordMailshotDelivered: record_mailshot_delivered,
    c.RecordMailshotBounced: record_mailshot_bounced,
    c.RecordMailshotResponded: record_mailshot_responded,
    c.RecordMailshotConverted: record_mailshot_converted,
    c.RecordSurveyReply: record_survey_reply,
}


def decide(cmd: c.Command, session: Session) -> f.Fact:
    """The fact that ``cmd`` records, or a named ``DomainError``."""
    return DECISIONS[type(cmd)](cmd, session)
