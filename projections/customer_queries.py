"""Reading the single customer view: the profile an agent desktop shows, and the timeline.

Windows ("the last 7 days") are computed here, relative to ``at`` (default now),
from stored rows, so a past answer is reproduced by passing the same ``at``.
Every "within" includes its end (METRICS.md). Personal fields are decrypted
with the customer's key at read time; without a key source they are withheld,
and after erasure they read as erased.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from psycopg import Connection
from psycopg.rows import dict_row

from domain.ports import Keyring, KeyVault
from projections.config import ViewConfig
from projections.customer_models import (
    CallingReason,
    ChannelCounts,
    Consent,
    CustomerProfile,
    DetractorReply,
    Interaction,
    NpsReading,
    PersonalState,
    TimelinePage,
    interaction,
    nps_category,
)

LAST_INTERACTIONS = 50
RECENT_OUTBOUND = timedelta(days=14)
PRESSURE_WINDOW = timedelta(days=30)
MAX_CALLING_REASONS = 20
CHANNELS = ("phone", "post", "email", "sms", "survey")


class UnknownCursor(ValueError):
    """A timeline cursor that is not the position of one of this customer's rows."""


class _Opener:
    """Decrypts one customer's personal fields, remembering if they were erased."""

    def __init__(self, vault: KeyVault | None, ref: str, erased: bool) -> None:
        self.ref = ref
        self.keyring: Keyring | None = None
        self.state: PersonalState = "withheld" if vault is None else "visible"
        if erased and vault is not None:
            self.state = "erased"
        elif vault is not None:
            self.keyring = vault.keyring([ref], create=False)

    def open(self, sealed: str | None) -> str | None:
        if sealed is None or self.keyring is None:
            return None
        plaintext = self.keyring.open(self.ref, sealed)
        if plaintext is None:  # key destroyed: erased, even before CustomerErased lands
            self.state = "erased"
        return plaintext


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
    profile = _one(conn, "SELECT * FROM customer_profile WHERE customer_ref = %s", (ref,))
    if profile is None:
        return None
    opener = _Opener(vault, ref, erased=profile["erased_at"] is not None)
    details = {k: opener.open(v) for k, v in _latest_details(conn, ref).items()}
    figures = _figures(conn, ref, at, config)
    recent = _page(conn, opener, ref, cursor=None, direction="before", limit=LAST_INTERACTIONS)
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
        unfollowed_detractors=_unfollowed_detractors(conn, ref, at, config),
        calls_in_repeat_window=figures["calls_recent"],
        repeat_window_days=config.repeat_window_days,
        repeat_contact=_repeat_contact(conn, ref, at, config),
        mailshots_last_30_days=figures["mailshots_30d"],
        pressure_cap=config.pressure_cap,
        lifetime_handled_seconds=figures["handled_seconds"],
        lifetime_handled_cost=_handled_cost(conn, ref, config),
        why_calling=_why_calling(conn, opener, ref, at),
        personal_data=opener.state,
    )


def timeline(
    conn: Connection[Any],
    vault: KeyVault | None,
    ref: str,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = LAST_INTERACTIONS,
) -> TimelinePage:
    """One page of ``ref``'s interactions, newest first (by occurred_at, then position).

    ``before``/``after`` are cursors: the position of a row already shown; the page
    holds the rows older (``before``) or newer (``after``) than it.
    """
    profile = _one(conn, "SELECT erased_at FROM customer_profile WHERE customer_ref = %s", (ref,))
    opener = _Opener(vault, ref, erased=profile is not None and profile["erased_at"] is not None)
    if after is not None:
        rows = _page(conn, opener, ref, cursor=after, direction="after", limit=limit + 1)
        more = len(rows) > limit
        items = rows[1:] if more else rows  # the extra row is the newest one
        older, newer = True, more
    else:
        rows = _page(conn, opener, ref, cursor=before, direction="before", limit=limit + 1)
        items = rows[:limit]
        older, newer = len(rows) > limit, before is not None
    return TimelinePage(
        customer_ref=ref,
        items=items,
        older=items[-1].position if items and older else None,
        newer=items[0].position if items and newer else None,
        personal_data=opener.state,
    )


_COLUMNS = "t.*"
_ORDER_NEWEST = "ORDER BY t.occurred_at DESC, t.position DESC"


def _page(
    conn: Connection[Any],
    opener: _Opener,
    ref: str,
    *,
    cursor: int | None,
    direction: Literal["before", "after"],
    limit: int,
) -> list[Interaction]:
    keyset = ""
    if cursor is not None:
        _check_cursor(conn, ref, cursor)
        sign = "<" if direction == "before" else ">"
        keyset = (
            f"AND (t.occurred_at, t.position) {sign} (SELECT occurred_at, position "
            "FROM customer_timeline WHERE position = %(cursor)s)"
        )
    order = _ORDER_NEWEST if direction == "before" else "ORDER BY t.occurred_at, t.position"
    rows = _all(
        conn,
        f"SELECT {_COLUMNS} FROM customer_timeline t WHERE t.customer_ref = %(ref)s "
        f"{keyset} {order} LIMIT %(limit)s",
        {"ref": ref, "cursor": cursor, "limit": limit},
    )
    items = [interaction(row, opener.open) for row in rows]
    return items if direction == "before" else items[::-1]


def _check_cursor(conn: Connection[Any], ref: str, cursor: int) -> None:
    row = _one(
        conn,
        "SELECT 1 AS found FROM customer_timeline WHERE position = %s AND customer_ref = %s",
        (cursor, ref),
    )
    if row is None:
        msg = f"position {cursor} is not an interaction of customer {ref}"
        raise UnknownCursor(msg)


def _one(conn: Connection[Any], sql: str, params: Any) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def _all(conn: Connection[Any], sql: str, params: Any) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _view_position(conn: Connection[Any]) -> int:
    row = _one(conn, "SELECT position FROM view_tracking WHERE view_name = 'customer'", ())
    return 0 if row is None else int(row["position"])


def _latest_details(conn: Connection[Any], ref: str) -> dict[str, str | None]:
    """Each personal field's latest non-null value (ciphertext) by (occurred_at, position)."""
    latest = (
        "(SELECT {0} FROM customer_details WHERE customer_ref = %(ref)s AND {0} IS NOT NULL "
        "ORDER BY occurred_at DESC, position DESC LIMIT 1) AS {0}"
    )
    fields = ("name", "email", "phone")
    sql = "SELECT " + ", ".join(latest.format(name) for name in fields)
    row = _one(conn, sql, {"ref": ref})
    assert row is not None
    return {name: row[name] for name in fields}


def _consent(conn: Connection[Any], ref: str) -> dict[str, Consent]:
    rows = _all(
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
    row = _one(conn, _FIGURES, params)
    assert row is not None
    return row


def _handled_cost(conn: Connection[Any], ref: str, config: ViewConfig) -> Decimal:
    """Handled seconds x the queue's rate + the fixed cost, over answered calls."""
    rows = _all(
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
    row = _one(
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
    """Detractor replies not (yet) followed by a mailshot or an answered call in the loop."""
    loop = timedelta(hours=config.closed_loop_hours)
    rows = _all(conn, _UNFOLLOWED, {"ref": ref, "at": at, "loop": loop})
    return [
        DetractorReply(
            position=r["position"],
            occurred_at=r["occurred_at"],
            nps=r["nps"],
            follow_up_due=r["occurred_at"] + loop,
            state="open" if at <= r["occurred_at"] + loop else "expired",
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
    row = _one(conn, _REPEAT, params)
    return row is not None and bool(row["repeat"])


_WHY = f"""
SELECT {_COLUMNS} FROM customer_timeline t
WHERE t.customer_ref = %(ref)s AND t.occurred_at <= %(at)s
  AND ((t.kind = 'mailshot' AND t.occurred_at >= %(at)s - %(recent)s)
       OR (t.kind = 'call' AND NOT t.resolved))
{_ORDER_NEWEST} LIMIT %(limit)s
"""


def _why_calling(
    conn: Connection[Any], opener: _Opener, ref: str, at: datetime
) -> list[CallingReason]:
    """Mailshots sent in the last 14 days and unresolved calls, newest first."""
    params = {"ref": ref, "at": at, "recent": RECENT_OUTBOUND, "limit": MAX_CALLING_REASONS}
    return [
        CallingReason(
            because="recent_outbound" if row["kind"] == "mailshot" else "unresolved_call",
            interaction=interaction(row, opener.open),
        )
        for row in _all(conn, _WHY, params)
    ]
