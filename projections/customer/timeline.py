"""Reading the customer timeline: one customer's interactions, newest first, by cursor.

Also the decryption of a customer's personal fields at read time, shared with the
profile: without a key source they are withheld; after erasure they read as erased.
"""

from __future__ import annotations

from typing import Any, Literal

from psycopg import Connection
from psycopg.rows import dict_row

from domain.ports import Keyring, KeyVault
from projections.customer.models import Interaction, PersonalState, TimelinePage, interaction

__all__ = [
    "LAST_INTERACTIONS",
    "ORDER_NEWEST",
    "ROWS",
    "Opener",
    "UnknownCursor",
    "all_rows",
    "one",
    "page_of",
    "timeline",
]

LAST_INTERACTIONS = 50
ORDER_NEWEST = "ORDER BY t.occurred_at DESC, t.position DESC"
ROWS = (  # timeline rows (``t``) as ``interaction`` reads them: mailshots with their campaign
    "SELECT t.*, k.name AS campaign_name, k.purpose AS campaign_purpose "
    "FROM customer_timeline t LEFT JOIN customer_campaigns k ON k.campaign_id = t.campaign_id"
)


class UnknownCursor(ValueError):
    """A timeline cursor that is not the position of one of this customer's rows."""


class Opener:
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
        """Plaintext of ``sealed``; ``None`` when withheld, erased or absent."""
        if sealed is None or self.keyring is None:
            return None
        plaintext = self.keyring.open(self.ref, sealed)
        if plaintext is None:  # key destroyed: erased, even before CustomerErased lands
            self.state = "erased"
        return plaintext


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
    profile = one(conn, "SELECT erased_at FROM customer_profile WHERE customer_ref = %s", (ref,))
    opener = Opener(vault, ref, erased=profile is not None and profile["erased_at"] is not None)
    if after is not None:
        rows = page_of(conn, opener, ref, cursor=after, direction="after", limit=limit + 1)
        more = len(rows) > limit
        items = rows[1:] if more else rows  # the extra row is the newest one
        older, newer = True, more
    else:
        rows = page_of(conn, opener, ref, cursor=before, direction="before", limit=limit + 1)
        items = rows[:limit]
        older, newer = len(rows) > limit, before is not None
    return TimelinePage(
        customer_ref=ref,
        items=items,
        older=items[-1].position if items and older else None,
        newer=items[0].position if items and newer else None,
        personal_data=opener.state,
    )


def page_of(
    conn: Connection[Any],
    opener: Opener,
    ref: str,
    *,
    cursor: int | None,
    direction: Literal["before", "after"],
    limit: int,
) -> list[Interaction]:
    """Up to ``limit`` rows older (``before``) or newer (``after``) than ``cursor``, newest
    first; the keyset is (occurred_at, position), so late arrivals sort where they happened."""
    keyset = ""
    if cursor is not None:
        _check_cursor(conn, ref, cursor)
        sign = "<" if direction == "before" else ">"
        keyset = (
            f"AND (t.occurred_at, t.position) {sign} (SELECT occurred_at, position "
            "FROM customer_timeline WHERE position = %(cursor)s)"
        )
    order = ORDER_NEWEST if direction == "before" else "ORDER BY t.occurred_at, t.position"
    rows = all_rows(
        conn,
        f"{ROWS} WHERE t.customer_ref = %(ref)s {keyset} {order} LIMIT %(limit)s",
        {"ref": ref, "cursor": cursor, "limit": limit},
    )
    items = [interaction(row, opener.open) for row in rows]
    return items if direction == "before" else items[::-1]


def _check_cursor(conn: Connection[Any], ref: str, cursor: int) -> None:
    row = one(
        conn,
        "SELECT 1 AS found FROM customer_timeline WHERE position = %s AND customer_ref = %s",
        (cursor, ref),
    )
    if row is None:
        msg = f"position {cursor} is not an interaction of customer {ref}"
        raise UnknownCursor(msg)


def one(conn: Connection[Any], sql: str, params: Any) -> dict[str, Any] | None:
    """The first row of ``sql`` as a dict, or ``None``."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def all_rows(conn: Connection[Any], sql: str, params: Any) -> list[dict[str, Any]]:
    """Every row of ``sql`` as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()
