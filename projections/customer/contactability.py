"""What the contact policy reads of one customer, from the single customer view.

``history`` gathers the facts ``domain.policy.evaluate`` needs, as plain data: every
consent change (``customer_consent_changes``), the erasure (``customer_profile``), and the
calls, mailshots and survey replies of the timeline that happened in the horizon before
``at`` (older ones can no longer block: the longest quiet period or the 30 days of contact
pressure have passed). Calls are read as last corrected, as the timeline shows them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection

from domain.policy import (
    PRESSURE_WINDOW,
    Call,
    ConsentChange,
    ContactPolicy,
    Erasure,
    History,
    Mailshot,
    Survey,
)
from projections.customer.timeline import all_rows

__all__ = ["histories", "history", "horizon"]

_PROFILES = "SELECT customer_ref, erased_at FROM customer_profile WHERE customer_ref = ANY(%s)"
_TIMELINE = """
SELECT customer_ref, position, kind, channel, occurred_at, reason, outcome, resolved,
       campaign_id, nps
FROM customer_timeline
WHERE customer_ref = ANY(%(refs)s) AND occurred_at BETWEEN %(since)s AND %(at)s
"""
_CONSENT = """
SELECT customer_ref, position, occurred_at, channel, granted FROM customer_consent_changes
WHERE customer_ref = ANY(%s)
"""


def horizon(policy: ContactPolicy, loop: timedelta) -> timedelta:
    """How far back a fact can still block at ``at``: the longest quiet period, the pressure
    window, or a detractor reply's loop (its follow-up must come after it)."""
    days = max(
        policy.unresolved_call_quiet_days,
        policy.detractor_quiet_days,
        policy.complaint_quiet_days,
    )
    return max(timedelta(days=days), PRESSURE_WINDOW, loop)


def history(conn: Connection[Any], ref: str, at: datetime, since: timedelta) -> History | None:
    """The customer's history for the policy at ``at``; ``None`` if no fact names ``ref``."""
    return histories(conn, [ref], at, since).get(ref)


def histories(
    conn: Connection[Any], refs: Sequence[str], at: datetime, since: timedelta
) -> dict[str, History]:
    """The histories of the customers of ``refs`` that some fact names, keyed by reference:
    three set-based reads (profiles, timeline rows in [at - since, at], consent changes),
    grouped here."""
    wanted = list(refs)
    erased = {r["customer_ref"]: r["erased_at"] for r in all_rows(conn, _PROFILES, (wanted,))}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in all_rows(conn, _TIMELINE, {"refs": wanted, "since": at - since, "at": at}):
        rows[row["customer_ref"]].append(row)
    consent: dict[str, list[ConsentChange]] = defaultdict(list)
    for r in all_rows(conn, _CONSENT, (wanted,)):
        change = ConsentChange(r["position"], r["occurred_at"], r["channel"], r["granted"])
        consent[r["customer_ref"]].append(change)
    return {
        ref: _history(rows.get(ref, []), consent.get(ref, []), erased_at)
        for ref, erased_at in erased.items()
    }


def _history(
    rows: Sequence[dict[str, Any]], consent: Sequence[ConsentChange], erased_at: datetime | None
) -> History:
    return History(
        calls=tuple(_call(r) for r in rows if r["kind"] == "call"),
        mailshots=tuple(_mailshot(r) for r in rows if r["kind"] == "mailshot"),
        surveys=tuple(
            Survey(r["position"], r["occurred_at"], r["nps"]) for r in rows if r["kind"] == "survey"
        ),
        consent=tuple(consent),
        # The view keeps the erasure's time, not its log position.
        erasure=None if erased_at is None else Erasure(None, erased_at),
    )


def _call(row: dict[str, Any]) -> Call:
    answered = row["outcome"] == "answered"
    return Call(row["position"], row["occurred_at"], row["reason"], answered, row["resolved"])


def _mailshot(row: dict[str, Any]) -> Mailshot:
    return Mailshot(row["position"], row["occurred_at"], row["channel"], row["campaign_id"])
