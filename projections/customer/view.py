"""The single customer view: profile, details, consent and timeline rows from the log.

Only facts are stored here, never figures relative to a time: counts, windows,
flags and costs are computed at read time (``projections.customer.queries``) so they are
right for any ``at``. Personal fields stay ciphertext (crypto-shredding reaches
the view too). Every fact kind is applied with one SQL statement per page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from psycopg import Cursor
from psycopg.sql import SQL, Identifier

from domain import facts as f
from domain.reading import LoggedFact
from projections.config import ViewConfig
from projections.customer.index import Indexer, forget, reindex
from projections.customer.updates import arrays, correct_calls, follow_ups

__all__ = [
    "CALL_FIELDS",
    "FOLLOW_UPS",
    "SURVEY_FIELDS",
    "TIMELINE_COLUMNS",
    "CustomerView",
    "Row",
]

Row = dict[str, Any]

TIMELINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("position", "bigint"),
    ("stream_id", "uuid"),
    ("customer_ref", "text"),
    ("kind", "text"),
    ("channel", "text"),
    ("occurred_at", "timestamptz"),
    ("recorded_at", "timestamptz"),
    ("source", "text"),
    ("source_id", "text"),
    ("queue", "text"),
    ("agent_id", "text"),
    ("reason", "text"),
    ("outcome", "text"),
    ("wait_seconds", "integer"),
    ("talk_seconds", "integer"),
    ("hold_seconds", "integer"),
    ("after_call_work_seconds", "integer"),
    ("resolved", "boolean"),
    ("transferred", "boolean"),
    ("notes", "text"),
    ("campaign_id", "text"),
    ("unit_cost", "numeric"),
    ("survey_kind", "text"),
    ("nps", "smallint"),
    ("csat", "smallint"),
    ("effort", "smallint"),
    ("comment", "text"),
    ("about_kind", "text"),
    ("about_id", "uuid"),
)
CALL_FIELDS = (
    "queue",
    "agent_id",
    "reason",
    "outcome",
    "wait_seconds",
    "talk_seconds",
    "hold_seconds",
    "after_call_work_seconds",
    "resolved",
    "transferred",
    "notes",  # ciphertext under the customer's key, as in the log
)
FOLLOW_UPS = ("MailshotDelivered", "MailshotBounced", "MailshotResponded", "MailshotConverted")
SURVEY_FIELDS = ("survey_kind", "nps", "csat", "effort", "comment", "about_kind", "about_id")


class CustomerView:
    """The ``customer`` view (see METRICS.md, "Single customer view")."""

    name: str = "customer"
    tables: tuple[str, ...] = (
        "customer_profile",
        "customer_details",
        "customer_consent",
        "customer_consent_changes",
        "customer_timeline",
        "customer_search",
        "customer_campaigns",
    )

    def __init__(self, config: ViewConfig | None = None, indexer: Indexer | None = None) -> None:
        # Nothing here depends on the config (figures are computed at read
        # time), so changing thresholds or rates never needs a rebuild. The
        # indexer's key and default country do: changing them means a rebuild.
        self.config = config or ViewConfig()
        self.indexer = indexer

    def apply(self, cur: Cursor[Any], page: Sequence[LoggedFact]) -> None:
        """Apply ``page`` (log order) inside the runner's transaction."""
        kinds: dict[str, list[LoggedFact]] = defaultdict(list)
        for item in page:
            kinds[item.kind].append(item)
        _touch_profiles(cur, [item for item in page if item.customer_ref is not None])
        _register(cur, kinds["CustomerRegistered"])
        _details(cur, kinds["CustomerRegistered"] + kinds["ContactDetailsChanged"])
        _consent(cur, kinds["MarketingConsentChanged"])
        _erase(cur, kinds["CustomerErased"])
        _campaigns(cur, kinds["CampaignPlanned"])
        details = kinds["CustomerRegistered"] + kinds["ContactDetailsChanged"]
        reindex(cur, [str(item.customer_ref) for item in details], self.indexer)
        forget(cur, [str(item.customer_ref) for item in kinds["CustomerErased"]])
        openings = kinds["CallRecorded"] + kinds["MailshotSent"] + kinds["SurveyReplied"]
        _insert(cur, "customer_timeline", TIMELINE_COLUMNS, [_timeline_row(i) for i in openings])
        correct_calls(cur, kinds["CallCorrected"])
        later = [i for kind in FOLLOW_UPS for i in kinds[kind]]
        follow_ups(cur, sorted(later, key=_position))


def _position(item: LoggedFact) -> int:
    return item.position


def _insert(
    cur: Cursor[Any], table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Row]
) -> None:
    """COPY ``rows`` into ``table`` (binary: the fastest way in; missing keys are NULL)."""
    if not rows:
        return
    names = [name for name, _ in columns]
    statement = SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        Identifier(table), SQL(", ").join(map(Identifier, names))
    )
    with cur.copy(statement) as copy:
        copy.set_types([kind for _, kind in columns])
        for row in rows:
            copy.write_row([row.get(name) for name in names])


def _touch_profiles(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    """Every customer named by a fact has a profile, registered or not."""
    spans: dict[str, tuple[int, int]] = {}
    for item in items:
        ref = item.customer_ref
        assert ref is not None
        first, _ = spans.get(ref, (item.position, item.position))
        spans[ref] = (first, item.position)
    if not spans:
        return
    cur.execute(
        "INSERT INTO customer_profile (customer_ref, first_position, last_position) "
        "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bigint[]) "
        "ON CONFLICT (customer_ref) DO UPDATE SET last_position = "
        "greatest(customer_profile.last_position, excluded.last_position)",
        arrays(((ref, a, b) for ref, (a, b) in spans.items()), 3),
    )


def _register(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    rows: dict[str, tuple[Any, ...]] = {}
    for item in items:
        fact = item.fact
        assert isinstance(fact, f.CustomerRegistered)
        rows.setdefault(fact.customer_ref, (fact.customer_ref, fact.occurred_at, fact.segment))
    if rows:
        cur.execute(
            "UPDATE customer_profile p SET registered = true, registered_at = u.at, "
            "segment = u.segment FROM unnest(%b::text[], %b::timestamptz[], %b::text[]) "
            "AS u(ref, at, segment) WHERE p.customer_ref = u.ref AND NOT p.registered",
            arrays(rows.values(), 3),
        )


def _details(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    rows = [
        {
            "position": item.position,
            "customer_ref": item.customer_ref,
            "kind": item.kind,
            "occurred_at": item.fact.occurred_at,
        }
        | {name: getattr(item.fact, name) for name in ("name", "email", "phone")}
        for item in items
    ]
    columns = [("position", "bigint"), ("customer_ref", "text"), ("kind", "text")]
    columns += [("occurred_at", "timestamptz"), ("name", "text"), ("email", "text")]
    _insert(cur, "customer_details", [*columns, ("phone", "text")], rows)


def _consent(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    """Keep the latest change per channel by (occurred_at, position): late facts lose."""
    latest: dict[tuple[str, str], tuple[Any, ...]] = {}
    for item in items:
        fact = item.fact
        assert isinstance(fact, f.MarketingConsentChanged)
        row = (fact.customer_ref, fact.channel, fact.granted, fact.occurred_at, item.position)
        key = (fact.customer_ref, fact.channel)
        if key not in latest or (row[3], row[4]) > (latest[key][3], latest[key][4]):
            latest[key] = row
    if latest:
        cur.execute(
            "INSERT INTO customer_consent AS c "
            "(customer_ref, channel, granted, occurred_at, position) "
            "SELECT * FROM unnest(%b::text[], %b::text[], %b::boolean[], "
            "%b::timestamptz[], %b::bigint[]) "
            "ON CONFLICT (customer_ref, channel) DO UPDATE SET granted = excluded.granted, "
            "occurred_at = excluded.occurred_at, position = excluded.position "
            "WHERE (excluded.occurred_at, excluded.position) > (c.occurred_at, c.position)",
            arrays(latest.values(), 5),
        )
    _insert(cur, "customer_consent_changes", _CONSENT_CHANGES, [_change(i) for i in items])


_CONSENT_CHANGES = (
    ("position", "bigint"),
    ("customer_ref", "text"),
    ("channel", "text"),
    ("granted", "boolean"),
    ("occurred_at", "timestamptz"),
)


def _change(item: LoggedFact) -> Row:
    """Every consent change, for the contact policy's consent at a past instant."""
    fact = item.fact
    assert isinstance(fact, f.MarketingConsentChanged)
    fields = {"customer_ref": fact.customer_ref, "channel": fact.channel}
    return fields | {
        "granted": fact.granted,
        "occurred_at": fact.occurred_at,
        "position": item.position,
    }


def _erase(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    if items:
        cur.execute(
            "UPDATE customer_profile p SET erased_at = coalesce(p.erased_at, u.at) "
            "FROM unnest(%b::text[], %b::timestamptz[]) AS u(ref, at) "
            "WHERE p.customer_ref = u.ref",
            arrays(((i.customer_ref, i.fact.occurred_at) for i in items), 2),
        )


def _campaigns(cur: Cursor[Any], items: Sequence[LoggedFact]) -> None:
    """Each campaign's name and purpose (the ledger plans a campaign once: first wins)."""
    if items:
        cur.execute(
            "INSERT INTO customer_campaigns (campaign_id, name, channel, purpose, position) "
            "SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::bigint[]) "
            "ON CONFLICT (campaign_id) DO NOTHING",
            arrays(((*_campaign(i.fact), i.position) for i in items), 5),
        )


def _campaign(fact: f.Fact) -> tuple[str, str, str, str]:
    assert isinstance(fact, f.CampaignPlanned)
    return fact.campaign_id, fact.name, fact.channel, fact.purpose


def _timeline_row(item: LoggedFact) -> Row:
    fact = item.fact
    row: Row = {
        "position": item.position,
        "stream_id": item.stream_id,
        "customer_ref": item.customer_ref,
        "occurred_at": fact.occurred_at,
        "recorded_at": item.recorded_at,
        "source": fact.source,
        "source_id": fact.source_id,
    }
    if isinstance(fact, f.CallRecorded):
        row |= {"kind": "call", "channel": "phone"}
        return row | {name: getattr(fact, name) for name in CALL_FIELDS}
    if isinstance(fact, f.MailshotSent):
        row |= {"kind": "mailshot", "channel": fact.channel}
        return row | {"campaign_id": fact.campaign_id, "unit_cost": fact.unit_cost}
    assert isinstance(fact, f.SurveyReplied)
    row |= {"kind": "survey", "channel": "survey"}
    return row | {name: getattr(fact, name) for name in SURVEY_FIELDS}
