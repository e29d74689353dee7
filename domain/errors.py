"""Named domain errors: one class per rule, each with a stable code."""

from __future__ import annotations

__all__ = [
    "AbandonedCallHasTalkTime",
    "AgentMismatch",
    "CampaignAlreadyPlanned",
    "CustomerAlreadyRegistered",
    "CustomerErased",
    "CustomerMismatch",
    "DomainError",
    "DuplicateReasonCode",
    "DurationTooLong",
    "FactConflict",
    "HeldBackNotMailed",
    "InvalidFact",
    "MailshotEventBeforeSend",
    "NegativeAmount",
    "NegativeDuration",
    "NoReasonAllowed",
    "NoScoreGiven",
    "NothingToChange",
    "OccurredInFuture",
    "OccurredTooLongAgo",
    "ScoreOutOfRange",
    "UnknownCall",
    "UnknownCampaign",
    "UnknownInteraction",
    "UnknownMailshot",
    "UnlistedReason",
    "WriteContention",
]


class DomainError(Exception):
    """A fact was refused by a rule of the domain.

    ``code`` is stable (it becomes the problem+json ``type``), ``field`` names the
    offending input field when there is one.
    """

    code = "domain-error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidFact(DomainError):
    """Input that does not have the shape of any fact (parsing failed)."""

    code = "invalid-fact"


class ScoreOutOfRange(DomainError):
    code = "score-out-of-range"


class NoScoreGiven(DomainError):
    code = "no-score-given"


class NegativeDuration(DomainError):
    code = "negative-duration"


class DurationTooLong(DomainError):
    code = "duration-too-long"


class NegativeAmount(DomainError):
    code = "negative-amount"


class AbandonedCallHasTalkTime(DomainError):
    code = "abandoned-call-has-talk-time"


class OccurredInFuture(DomainError):
    code = "occurred-in-future"


class OccurredTooLongAgo(DomainError):
    code = "occurred-too-long-ago"


class NothingToChange(DomainError):
    code = "nothing-to-change"


class UnknownCall(DomainError):
    code = "unknown-call"


class UnknownMailshot(DomainError):
    code = "unknown-mailshot"


class UnknownCampaign(DomainError):
    code = "unknown-campaign"


class UnknownInteraction(DomainError):
    code = "unknown-interaction"


class CustomerMismatch(DomainError):
    code = "customer-mismatch"


class MailshotEventBeforeSend(DomainError):
    code = "mailshot-event-before-send"


class HeldBackNotMailed(DomainError):
    code = "held-back-not-mailed"


class CampaignAlreadyPlanned(DomainError):
    code = "campaign-already-planned"


class CustomerAlreadyRegistered(DomainError):
    code = "customer-already-registered"


class CustomerErased(DomainError):
    code = "customer-erased"


class DuplicateReasonCode(DomainError):
    code = "duplicate-reason-code"


class NoReasonAllowed(DomainError):
    """An empty reason list without free text: no call could be wrapped up."""

    code = "no-reason-allowed"


class UnlistedReason(DomainError):
    """An agent's reason that is not on the centre's list (and free text is not allowed)."""

    code = "unlisted-reason"


class AgentMismatch(DomainError):
    """An agent's key recording a call in another agent's name."""

    code = "agent-mismatch"


class FactConflict(DomainError):
    """The same (kind, source, source_id) was already recorded with other content."""

    code = "fact-conflict"

    def __init__(self, message: str, *, original_position: int | None) -> None:
        super().__init__(message, field="source_id")
        self.original_position = original_position


class WriteContention(DomainError):
    """Concurrent writers kept colliding on the same streams; nothing was written."""

    code = "write-contention"
