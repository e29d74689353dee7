"""Reading the single customer view: the profile an agent desktop shows (and the timeline).

Windows ("the last 7 days") are computed here, relative to ``at`` (default now),
from stored rows, so a past answer is reproduced by passing the same ``at``.
Every "within" includes its end (METRICS.md). Personal fields are decrypted
with the customer's key at read time; without a key source they are withheld,
and after erasure they read as erased.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg import Connection

from domain.ports import KeyVault
from projections.config import ViewConfig
from projections.customer.models import (
    ChannelCounts,
    Consent,
    CustomerProfile,
    DetractorReply,
    NpsReading,
    nps_category,
)
from projections.customer.timeline import (
    LAST_INTERACTIONS,
    Opener,
    UnknownCursor,
    all_rows,
    one,
    page_of,
    timeline,
)
from projections.customer.why import calling_reasons
from projections.tracking import view_position

__all__ = ["UnknownCursor", "customer_profile", "is_known", "timeline"]
PRESSURE_WINDOW = timedelta(days=30)
CHANNELS = ("phone", "post", "email", "sms", "survey")


def customer_profile(
    conn: Connection[Any],
    vault: KeyVault | None,
    ref: str,
    config: ViewConfig,
    at: datetime | None = None,
) -> CustomerProfile | None:
    """Everything the view knows about ``ref`` as of ``at``; ``None`` if no fact names it.

    ``vault`` opens personal fields (``None``: withheld, for roles that may not see them).
    """
    at = at or datetime.now(UTC)
    profile = one(conn, "SELECT * FROM customer_profile WHERE customer_ref = %s", (ref,))
    if profile is None:
        return None
    opener = Opener(vault, ref, erased=profile["erased_at"] is not None)
    details = {k: opener.open(v) for k, v in _latest_details(conn, ref).items()}
    figures = _figures(conn, ref, at, config)
    recent = page_of(conn, opener, ref, cursor=None, direction="before", limit=LAST_INTERACTIONS)
    detractors = _unfollowed_detractors(conn, ref, at, config)
    open_ones = [d for d in detractors if d.state == "open"]
    return CustomerProfile(
        customer_ref=ref,
        at=at,
        view_position=_view_position(conn),
        registered=profile["registered"],
        registered_at=profile["registered_at"],
        segment=profile["segment"],
        erased_at=profile["erased_at"],
        **details,
        consent=_consent(conn, ref),
        counts=ChannelCounts(**{c: figures[c] for c in CHANNELS}, lifetime=figures["lifetime"]),
        last_contact=figures["last_contact"],
        recent_interactions=recent,
        latest_nps=_latest_nps(conn, ref),
        open_detractors=open_ones,
        expired_detractors=[d for d in detractors if d.state == "expired"],
        calls_in_repeat_window=figures["calls_recent"],
        repeat_window_days=config.repeat_window_days,
        repeat_contact=_repeat_contact(conn, ref, at, config),
        mailshots_last_30_days=figures["mailshots_30d"],
        pressure_cap=config.pressure_cap,
        lifetime_handled_seconds=figures["handled_seconds"],
        lifetime_handled_cost=_handled_cost(conn, ref, config),
        why_calling=calling_reasons(
            conn, opener, ref, at, config, open_detractors=[d.position for d in open_ones]
        ),
        personal_data=opener.state,
    )


def is_known(conn: Connection[Any], ref: str) -> bool:
    """Whether any fact of the customer view names ``ref``."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM customer_profile WHERE customer_ref = %s)", (ref,)
    ).fetchone()
    return bool(row and row[0])


def _view_position(conn: Connection[Any]) -> int:
    return view_position(conn, "customer")


def _latest_details(conn: Connection[Any], ref: str) -> dict[str, str | None]:
    """Each personal field's latest non-null value (ciphertext) by (occurred_at, position)."""
    latest = (
        "(SELECT {0} FROM customer_details WHERE customer_ref = %(ref)s AND {0} IS NOT NULL "
        "ORDER BY occurred_at DESC, position DESC LIMIT 1) AS {0}"
    )
    fields = ("name", "email", "phone")
    sql = "SELECT " + ", ".join(latest.format(name) for name in fields)
    row = one(conn, sql, {"ref": ref})
    assert row is not None
    return {name: row[name] for name in fields}


def _consent(conn: Connection[Any], ref: str) -> dict[str, Consent]:
    rows = all_rows(
        conn,
        "SELECT channel, granted, occurred_at FROM customer_consent WHERE customer_ref = %s "
        "ORDER BY channel",
        (ref,),
    )
    return {r["channel"]: Consent(granted=r["granted"], changed_at=r["occurred_at"]) for r in rows}


_FIGURES = """
SELECT
    count(*) FILTER (WHERE channel = 'phone') AS phone,
    count(*) FILTER (WHERE channel = 'post') AS post,
    count(*) FILTER (WHERE channel = 'email') AS email,
    count(*) FILTER (WHERE channel = 'sms') AS sms,
    count(*) FILTER (WHERE channel = 'survey') AS survey,
    count(*) AS lifetime,
    max(occurred_at) AS last_contact,
    count(*) FILTER (WHERE kind = 'call'
        AND occurred_at BETWEEN %(at)s - %(repeat)s AND %(at)s) AS calls_recent,
    count(*) FILTER (WHERE kind = 'mailshot'
        AND occurred_at BETWEEN %(at)s - %(pressure)s AND %(at)s) AS mailshots_30d,
    coalesce(sum(handled_seconds) FILTER (WHERE outcome = 'answered'), 0) AS handled_seconds
FROM customer_timeline WHERE customer_ref = %(ref)s
"""


def _figures(conn: Connection[Any], ref: str, at: datetime, config: ViewConfig) -> dict[str, Any]:
    params = {"ref": ref, "at": at, "pressure": PRESSURE_WINDOW}
    params["repeat"] = timedelta(days=config.repeat_window_days)
    row = one(conn, _FIGURES, params)
    assert row is not None
    return row


def _handled_cost(conn: Connection[Any], ref: str, config: ViewConfig) -> Decimal:
    """Handled seconds x the queue's rate + the fixed cost, over answered calls."""
    rows = all_rows(
        conn,
        "SELECT queue, count(*) AS answered, sum(handled_seconds) AS handled "
        "FROM customer_timeline WHERE customer_ref = %s AND kind = 'call' "
        "AND outcome = 'answered' GROUP BY queue",
        (ref,),
    )
    fixed = config.fixed_cost_per_answered_call
    return sum(
        (r["handled"] * config.rate(r["queue"]) + r["answered"] * fixed for r in rows),
        Decimal(0),
    )


def _latest_nps(conn: Connection[Any], ref: str) -> NpsReading | None:
    row = one(
        conn,
        "SELECT position, occurred_at, nps FROM customer_timeline WHERE customer_ref = %s "
        "AND kind = 'survey' AND nps IS NOT NULL ORDER BY occurred_at DESC, position DESC "
        "LIMIT 1",
        (ref,),
    )
    if row is None:
        return None
    return NpsReading(
        position=row["position"],
        occurred_at=row["occurred_at"],
        score=row["nps"],
        category=nps_category(row["nps"]),
    )


_UNFOLLOWED = """
SELECT s.position, s.occurred_at, s.nps FROM customer_timeline s
WHERE s.customer_ref = %(ref)s AND s.kind = 'survey' AND s.nps <= 6 AND s.occurred_at <= %(at)s
  AND NOT EXISTS (
    SELECT 1 FROM customer_timeline x
    WHERE x.customer_ref = s.customer_ref
      AND (x.kind = 'mailshot' OR (x.kind = 'call' AND x.outcome = 'answered'))
      AND x.occurred_at > s.occurred_at
      AND x.occurred_at <= least(s.occurred_at + %(loop)s, %(at)s))
ORDER BY s.occurred_at DESC, s.position DESC
"""


def _unfollowed_detractors(
    conn: Connection[Any], ref: str, at: datetime, config: ViewConfig
) -> list[DetractorReply]:
    """Detractor replies not (yet) followed by a mailshot or an answered call in the loop.

    METRICS.md: a follow-up must come strictly after the reply and within the window (its
    end included); the window is closed from its end instant on, so a reply is ``open``
    while ``at`` is before ``follow_up_due`` and ``expired`` from that instant on.
    """
    loop = timedelta(hours=config.closed_loop_hours)
    rows = all_rows(conn, _UNFOLLOWED, {"ref": ref, "at": at, "loop": loop})
    return [
        DetractorReply(
            position=r["position"],
            occurred_at=r["occurred_at"],
            nps=r["nps"],
            follow_up_due=r["occurred_at"] + loop,
            state="open" if at < r["occurred_at"] + loop else "expired",
        )
        for r in rows
    ]


_REPEAT = """
SELECT EXISTS (
    SELECT 1 FROM customer_timeline c2 JOIN customer_timeline c1
      ON c1.customer_ref = c2.customer_ref AND c1.kind = 'call' AND c1.outcome = 'answered'
     AND c1.reason = c2.reason
     AND c1.occurred_at < c2.occurred_at AND c2.occurred_at <= c1.occurred_at + %(w)s
    WHERE c2.customer_ref = %(ref)s AND c2.kind = 'call'
      AND c2.occurred_at BETWEEN %(at)s - %(w)s AND %(at)s
) AS repeat
"""


def _repeat_contact(conn: Connection[Any], ref: str, at: datetime, config: ViewConfig) -> bool:
    """A call in the last W days is a repeat under the FCR rule (same reason, within W
    of an earlier answered call)."""
    params = {"ref": ref, "at": at, "w": timedelta(days=config.repeat_window_days)}
    row = one(conn, _REPEAT, params)
    return row is not None and bool(row["repeat"])
