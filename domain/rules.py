"""The rules of the domain as ``check_*`` guards, each raising a named error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from domain import errors
from domain.facts import (
    CallRecorded,
    CampaignPlanned,
    CustomerErased,
    CustomerRegistered,
    Fact,
    MailshotHeldBack,
    MailshotSent,
)

__all__ = [
    "CSAT_RANGE",
    "EARLIEST",
    "EFFORT_RANGE",
    "FUTURE_TOLERANCE",
    "LONGEST_DURATION",
    "NPS_RANGE",
    "check_abandoned_without_talk",
    "check_after_send",
    "check_agent_is_key",
    "check_amount",
    "check_call_exists",
    "check_campaign_not_planned",
    "check_campaign_planned",
    "check_interaction_exists",
    "check_listed_reason",
    "check_mailshot_exists",
    "check_non_negative",
    "check_not_erased",
    "check_not_registered",
    "check_occurred_at",
    "check_same_customer",
    "check_score",
    "check_some_reason_allowed",
    "check_some_score",
    "check_something_changes",
    "check_unique_codes",
    "check_was_mailed",
    "check_window_days",
]

NPS_RANGE = (0, 10)
CSAT_RANGE = (1, 5)
EFFORT_RANGE = (1, 7)
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
# Seconds: far beyond any real call, and talk + hold + wrap-up still fits a 32-bit integer.
LONGEST_DURATION = 366 * 24 * 3600


def check_score(name: str, value: int | None, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if value is not None and not low <= value <= high:
        msg = f"{name} must be between {low} and {high}, got {value}"
        raise errors.ScoreOutOfRange(msg, field=name)


def check_some_score(nps: int | None, csat: int | None, effort: int | None) -> None:
    if nps is None and csat is None and effort is None:
        msg = "a survey reply needs at least one of nps, csat, effort"
        raise errors.NoScoreGiven(msg, field="nps")


def check_non_negative(name: str, seconds: int | None) -> None:
    """A duration is between 0 and ``LONGEST_DURATION`` seconds."""
    if seconds is not None and seconds < 0:
        raise errors.NegativeDuration(f"{name} must not be negative", field=name)
    if seconds is not None and seconds > LONGEST_DURATION:
        # An absurd duration would be in the log for ever and break every view
        # that stores it (integer columns): refused at the door instead.
        msg = f"{name} must be at most {LONGEST_DURATION} seconds (a year), got {seconds}"
        raise errors.DurationTooLong(msg, field=name)


def check_amount(name: str, amount: Decimal) -> None:
    if amount < 0:
        raise errors.NegativeAmount(f"{name} must not be negative", field=name)


def check_window_days(days: int) -> None:
    if not 1 <= days <= 3660:
        msg = f"attribution_window_days must be between 1 and 3660, got {days}"
        raise errors.NegativeDuration(msg, field="attribution_window_days")


def check_abandoned_without_talk(outcome: str, talk: int, hold: int, acw: int) -> None:
    if outcome == "abandoned" and (talk or hold or acw):
        msg = "an abandoned call has no talk, hold or after-call work time"
        raise errors.AbandonedCallHasTalkTime(msg, field="talk_seconds")


def check_occurred_at(
    occurred_at: datetime, now: datetime, field: str, earliest: datetime = EARLIEST
) -> None:
    """Not in the future (beyond a day's tolerance), not before ``earliest`` (a setting)."""
    if occurred_at > now + FUTURE_TOLERANCE:
        msg = f"{field} {occurred_at.isoformat()} is in the future"
        raise errors.OccurredInFuture(msg, field=field)
    if occurred_at < earliest:
        msg = f"{field} {occurred_at.isoformat()} is before {earliest.date()}"
        raise errors.OccurredTooLongAgo(msg, field=field)


def check_not_erased(customer: Sequence[Fact], ref: str) -> None:
    if any(isinstance(f, CustomerErased) for f in customer):
        msg = f"customer {ref} was erased; no personal data can be recorded"
        raise errors.CustomerErased(msg, field="customer_ref")


def check_not_registered(customer: Sequence[Fact], ref: str) -> None:
    if any(isinstance(f, CustomerRegistered) for f in customer):
        msg = f"customer {ref} is already registered (change details instead)"
        raise errors.CustomerAlreadyRegistered(msg, field="customer_ref")


def check_something_changes(**fields: object) -> None:
    if all(value is None for value in fields.values()):
        msg = f"give at least one of {', '.join(fields)}"
        raise errors.NothingToChange(msg, field=next(iter(fields)))


def check_campaign_planned(campaign: Sequence[Fact], campaign_id: str) -> CampaignPlanned:
    if not campaign or not isinstance(campaign[0], CampaignPlanned):
        msg = f"campaign {campaign_id} has not been planned"
        raise errors.UnknownCampaign(msg, field="campaign_id")
    return campaign[0]


def check_campaign_not_planned(campaign: Sequence[Fact], campaign_id: str) -> None:
    if campaign:
        msg = f"campaign {campaign_id} is already planned"
        raise errors.CampaignAlreadyPlanned(msg, field="campaign_id")


def check_call_exists(call: Sequence[Fact]) -> CallRecorded:
    if not call or not isinstance(call[0], CallRecorded):
        raise errors.UnknownCall("no such call has been recorded", field="call")
    return call[0]


def check_mailshot_exists(mailshot: Sequence[Fact]) -> MailshotSent | MailshotHeldBack:
    if not mailshot or not isinstance(mailshot[0], MailshotSent | MailshotHeldBack):
        msg = "no such mailshot has been sent or held back"
        raise errors.UnknownMailshot(msg, field="mailshot")
    return mailshot[0]


def check_was_mailed(opening: MailshotSent | MailshotHeldBack, what: str) -> None:
    if isinstance(opening, MailshotHeldBack):
        msg = f"a held-back (control group) recipient was not mailed: no {what}"
        raise errors.HeldBackNotMailed(msg, field="mailshot")


def check_after_send(opening: Fact, occurred_at: datetime) -> None:
    if occurred_at < opening.occurred_at:
        msg = "a mailshot event cannot happen before the mailshot was sent or held back"
        raise errors.MailshotEventBeforeSend(msg, field="occurred_at")


def check_interaction_exists(about: Sequence[Fact]) -> None:
    if not about:
        msg = "the survey is about an interaction that has not been recorded"
        raise errors.UnknownInteraction(msg, field="about")


def check_same_customer(original: Fact, customer_ref: str, field: str) -> None:
    """A follow-up fact concerns the customer of the fact it follows."""
    expected = getattr(original, "customer_ref", None)
    if expected != customer_ref:
        msg = f"customer_ref {customer_ref} differs from the {field}'s customer {expected}"
        raise errors.CustomerMismatch(msg, field="customer_ref")


def check_unique_codes(codes: Sequence[str], field: str = "reasons.{}.code") -> None:
    """Each reason code once in a list (the second one is named)."""
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if code in seen:
            msg = f"reason code {code} is in the list twice"
            raise errors.DuplicateReasonCode(msg, field=field.format(index))
        seen.add(code)


def check_some_reason_allowed(codes: Sequence[str], free_text_allowed: bool) -> None:
    if not codes and not free_text_allowed:
        msg = "an empty reason list needs free_text_allowed, or no call could be wrapped up"
        raise errors.NoReasonAllowed(msg, field="reasons")


def check_listed_reason(reason: str | None, codes: Sequence[str], free_text_allowed: bool) -> None:
    """An agent's reason is a code of the list in force, unless free text is allowed."""
    if reason is not None and not free_text_allowed and reason not in codes:
        msg = f"reason {reason} is not on the centre's list of call reasons"
        raise errors.UnlistedReason(msg, field="reason")


def check_agent_is_key(agent_id: str | None, key_name: str) -> None:
    """An agent records calls in their own name: the name of their API key."""
    if agent_id is not None and agent_id != key_name:
        msg = f"agent_id {agent_id} differs from this key's agent {key_name}"
        raise errors.AgentMismatch(msg, field="agent_id")
