"""The centre's call reasons in force: the latest ``CallReasonsPublished``, or the starter list.

Lists are facts in one stream (``ids.call_reasons_stream_id``), each publication a
new version: the list in force at any point of the log is the last one published
before it, so a past refusal can always be explained. Until an admin publishes a
list, the starter list is in force: the reasons of the demo's retail bank, with
free text allowed, so a new centre records whatever its agents type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain import rules
from domain.facts import CallReasonsPublished
from domain.reading import LoggedFact

__all__ = ["STARTER", "ReasonList", "in_force"]


@dataclass(frozen=True)
class ReasonList:
    """A list of (code, label) reasons; ``position`` is None for the starter list."""

    reasons: tuple[tuple[str, str], ...]
    free_text_allowed: bool
    position: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.reasons)

    def check(self, reason: str | None) -> None:
        """``UnlistedReason`` unless ``reason`` is on the list or free text is allowed."""
        rules.check_listed_reason(reason, self.codes, self.free_text_allowed)


STARTER = ReasonList(
    reasons=(
        ("balance-query", "Balance query"),
        ("payment-query", "Payment query"),
        ("direct-debit", "Direct debit"),
        ("statement-request", "Statement request"),
        ("address-change", "Change of address"),
        ("complaint", "Complaint"),
        ("card-lost", "Card lost or stolen"),
        ("card-declined", "Card declined"),
        ("pin-reset", "PIN reset"),
        ("suspicious-transaction", "Suspicious transaction"),
        ("mortgage-rate-switch", "Mortgage rate switch"),
        ("loan-enquiry", "Loan enquiry"),
        ("offer-query", "Question about an offer"),
        ("fraud-alert", "Reply to a fraud alert"),
        ("detractor-callback", "Call back after a survey"),
    ),
    free_text_allowed=True,
)
"""In force until a list is published."""


def in_force(stream: Sequence[LoggedFact]) -> ReasonList:
    """The list in force after the facts of the reasons stream ``stream`` (stream order)."""
    for logged in reversed(stream):
        fact = logged.fact
        if isinstance(fact, CallReasonsPublished):
            reasons = tuple((r["code"], r["label"]) for r in fact.reasons)
            return ReasonList(reasons, fact.free_text_allowed, logged.position)
    return STARTER
