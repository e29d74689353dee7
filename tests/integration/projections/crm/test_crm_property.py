"""Property: the crm view (a) projected incrementally with random page sizes and
restarts equals (b) a rebuild from scratch, and both equal (c) a plain in-memory
computation written here from METRICS.md ("CRM view").

Histories are random campaigns (short windows so that windows matter), customers
registering at random points of the log, sends, hold-backs, bounces, delivery
receipts, responses and conversions (some exactly at the window's end, some one
second after it) and consent changes, all recorded through the ledger.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import given, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from domain import commands as c
from domain import facts as f
from projections.cem.bands import pressure_band
from projections.config import ViewConfig
from projections.crm.per_send import UNCREDITED
from projections.crm.queries import contact_pressure, crm_metrics
from projections.crm.view import CrmView
from projections.query import MetricQuery
from projections.runner import ProjectionRunner

BASE = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400
CUSTOMERS = ("c0", "c1", "c2", "c3")
SHOP = "shop"
FIRST, LAST = date(2025, 12, 1), date(2026, 4, 30)


@dataclass
class Opening:
    ref: str
    customer: str
    window: int
    at: datetime
    sent: bool


def _offset(draw: st.DrawFn, window: int) -> timedelta:
    seconds = draw(
        st.one_of(
            st.just(0),
            st.just(window * DAY),  # exactly the end: credited
            st.just(window * DAY + 1),  # one second later: not
            st.integers(0, (window + 2) * DAY),
        )
    )
    return timedelta(seconds=seconds)


def _when(draw: st.DrawFn) -> datetime:
    return BASE + timedelta(minutes=15 * draw(st.integers(0, 40 * 24 * 4)))


def _common(n: int, when: datetime) -> dict[str, Any]:
    return {"source": SHOP, "source_id": f"f{n}", "occurred_at": when}


def _plan(draw: st.DrawFn, n: int) -> tuple[c.Command, int]:
    window = draw(st.integers(1, 3))
    cmd = c.PlanCampaign(
        **_common(n, BASE - timedelta(days=5)),
        campaign_id=f"k{n}",
        name="k",
        channel=draw(st.sampled_from(["email", "sms", "phone"])),
        fixed_cost=Decimal(draw(st.integers(0, 50))),
        attribution_window_days=window,
    )
    return cmd, window


def _opening(
    draw: st.DrawFn, n: int, campaigns: list[tuple[str, int]]
) -> tuple[c.Command, Opening]:
    campaign, window = draw(st.sampled_from(campaigns))
    customer, when, sent = draw(st.sampled_from(CUSTOMERS)), _when(draw), draw(st.booleans())
    fields = _common(n, when) | {
        "customer_ref": customer,
        "campaign_id": campaign,
        "channel": draw(st.sampled_from(["email", "sms", "post", "phone"])),
    }
    cmd: c.Command
    if sent:
        cmd = c.RecordMailshotSent(**fields, unit_cost=Decimal(draw(st.integers(0, 300))) / 100)
    else:
        cmd = c.RecordMailshotHeldBack(**fields)
    return cmd, Opening(f"f{n}", customer, window, when, sent)


def _follow_up(draw: st.DrawFn, n: int, opening: Opening) -> c.Command:
    kinds = ["respond", "convert"] + (["bounce", "deliver"] if opening.sent else [])
    kind = draw(st.sampled_from(kinds))
    fields = _common(n, opening.at + _offset(draw, opening.window)) | {
        "customer_ref": opening.customer,
        "mailshot": {"source": SHOP, "source_id": opening.ref},
    }
    if kind == "respond":
        return c.RecordMailshotResponded(**fields, how="web")
    if kind == "convert":
        return c.RecordMailshotConverted(**fields, value=Decimal(draw(st.integers(0, 9999))) / 100)
    model = c.RecordMailshotBounced if kind == "bounce" else c.RecordMailshotDelivered
    return model(**fields)


def _consent(draw: st.DrawFn, n: int, openings: list[Opening]) -> c.Command:
    if bool(openings) and draw(st.booleans()):  # near a send, so that windows are hit
        opening = draw(st.sampled_from(openings))
        customer, when = opening.customer, opening.at + _offset(draw, opening.window)
    else:
        customer, when = draw(st.sampled_from(CUSTOMERS)), _when(draw)
    return c.ChangeMarketingConsent(
        **_common(n, when),
        customer_ref=customer,
        channel=draw(st.sampled_from(["email", "sms", "post", "phone"])),
        granted=draw(st.booleans()),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[c.Command]:
    """Commands in log order that the ledger accepts."""
    commands: list[c.Command] = []
    campaigns: list[tuple[str, int]] = []
    for _ in range(draw(st.integers(1, 2))):
        cmd, window = _plan(draw, len(commands))
        campaigns.append((f"k{len(commands)}", window))
        commands.append(cmd)
    openings: list[Opening] = []
    registered: set[str] = set()
    for _ in range(draw(st.integers(1, 30))):
        n = len(commands)
        step = draw(st.sampled_from(["register", "open", "open", "follow", "follow", "consent"]))
        if step == "register" and len(registered) < len(CUSTOMERS):
            ref = draw(st.sampled_from([x for x in CUSTOMERS if x not in registered]))
            registered.add(ref)
            segment = draw(st.sampled_from(["gold", "silver", None]))
            commands.append(
                c.RegisterCustomer(**_common(n, _when(draw)), customer_ref=ref, segment=segment)
            )
        elif step == "follow" and openings:
            commands.append(_follow_up(draw, n, draw(st.sampled_from(openings))))
        elif step == "consent":
            commands.append(_consent(draw, n, openings))
        else:
            cmd, opening = _opening(draw, n, campaigns)
            openings.append(opening)
            commands.append(cmd)
    return commands


# --- (c) the reference, plainly from METRICS.md -------------------------------------


def reference_daily(facts: list[f.Fact], zone: Any) -> dict[tuple[Any, ...], list[Any]]:
    """Components per campaign x channel x send day x segment, as crm_daily holds them."""
    campaigns = {x.campaign_id: x for x in facts if isinstance(x, f.CampaignPlanned)}
    rows: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0] * 10)
    for index, opening in enumerate(facts):
        if isinstance(opening, f.MailshotSent | f.MailshotHeldBack):
            campaign = campaigns[opening.campaign_id]
            day = opening.occurred_at.astimezone(zone).date()
            key = (campaign.campaign_id, opening.channel, day, _segment(facts, index, opening))
            adds = _components(facts, opening, campaign)
            rows[key] = [a + b for a, b in zip(rows[key], adds, strict=True)]
    return dict(rows)


def _components(
    facts: list[f.Fact], opening: f.MailshotSent | f.MailshotHeldBack, campaign: f.CampaignPlanned
) -> list[Any]:
    """sent, bounced, unit cost, responders, converters, revenue, then control."""
    end = opening.occurred_at + timedelta(days=campaign.attribution_window_days)
    later = [x for x in facts if x.originator_id == opening.originator_id][1:]
    inside = [x for x in later if opening.occurred_at <= x.occurred_at <= end]
    responded = any(isinstance(x, f.MailshotResponded) for x in inside)
    values = [x.value for x in inside if isinstance(x, f.MailshotConverted)]
    credited = [1, int(responded), int(bool(values)), sum(values)]
    if isinstance(opening, f.MailshotHeldBack):
        return [0] * 6 + credited
    if any(isinstance(x, f.MailshotBounced) for x in later):
        # A bounced mailshot never reached its recipient: nothing is credited to it.
        return [1, 1, opening.unit_cost, 0, 0, 0] + [0] * 4
    return [1, 0, opening.unit_cost, *credited[1:]] + [0] * 4


def _delivered_sends(facts: list[f.Fact]) -> list[tuple[int, f.MailshotSent]]:
    bounced = {x.originator_id for x in facts if isinstance(x, f.MailshotBounced)}
    return [
        (i, x)
        for i, x in enumerate(facts)
        if isinstance(x, f.MailshotSent) and x.originator_id not in bounced
    ]


def reference_opt_outs(facts: list[f.Fact]) -> dict[str, int]:
    """METRICS.md "opt-out rate": each withdrawal credited once, to the latest delivered
    send on its channel to that customer strictly before it (last touch, across
    campaigns), inside that send's window; a send counts once."""
    campaigns = {x.campaign_id: x for x in facts if isinstance(x, f.CampaignPlanned)}
    credited: dict[Any, str] = {}
    for w in facts:
        if not isinstance(w, f.MarketingConsentChanged) or w.granted:
            continue
        before = [
            (x.occurred_at, i, x)
            for i, x in _delivered_sends(facts)
            if x.customer_ref == w.customer_ref
            and campaigns[x.campaign_id].channel == w.channel
            and x.occurred_at < w.occurred_at
        ]
        if before:
            _, _, last = max(before, key=lambda item: item[:2])
            window = timedelta(days=campaigns[last.campaign_id].attribution_window_days)
            if w.occurred_at <= last.occurred_at + window:
                credited[last.originator_id] = last.campaign_id
    out: dict[str, int] = defaultdict(int)
    for campaign in credited.values():
        out[campaign] += 1
    return out


def reference_customers_and_uncredited(facts: list[f.Fact]) -> dict[str, tuple[int, int]]:
    """Per campaign: reached customers (distinct, a delivered send), and the responses and
    conversions not credited (of a bounced send, or after the window's end)."""
    campaigns = {x.campaign_id: x for x in facts if isinstance(x, f.CampaignPlanned)}
    reached: dict[str, set[str]] = defaultdict(set)
    for _, sent in _delivered_sends(facts):
        reached[sent.campaign_id].add(sent.customer_ref)
    bounced = {x.originator_id for x in facts if isinstance(x, f.MailshotBounced)}
    openings = {
        x.originator_id: x for x in facts if isinstance(x, f.MailshotSent | f.MailshotHeldBack)
    }
    missed: dict[str, int] = defaultdict(int)
    for x in facts:
        if isinstance(x, f.MailshotResponded | f.MailshotConverted):
            opening = openings[x.originator_id]
            window = timedelta(days=campaigns[opening.campaign_id].attribution_window_days)
            if x.originator_id in bounced or x.occurred_at > opening.occurred_at + window:
                missed[opening.campaign_id] += 1
    return {k: (len(reached[k]), missed[k]) for k in campaigns}


def _segment(facts: list[f.Fact], index: int, opening: f.MailshotFact) -> str:
    for earlier in facts[:index]:
        if (
            isinstance(earlier, f.CustomerRegistered)
            and earlier.customer_ref == opening.customer_ref
        ):
            return earlier.segment or "unknown"
    return "unknown"


def reference_pressure(facts: list[f.Fact], zone: Any, days: list[date], cap: int) -> list[Any]:
    """Per day: customers known by then, their 30-day send counts in bands, over cap."""
    first: dict[str, date] = {}
    sends: list[tuple[str, date]] = []
    for x in facts:
        if isinstance(x, f.CustomerRegistered | f.MailshotSent | f.MailshotHeldBack):
            day = x.occurred_at.astimezone(zone).date()
            first[x.customer_ref] = min(first.get(x.customer_ref, day), day)
            if isinstance(x, f.MailshotSent):
                sends.append((x.customer_ref, day))
    out = []
    for d in days:
        counts = [
            sum(1 for who, s in sends if who == ref and d - timedelta(days=29) <= s <= d)
            for ref, known in first.items()
            if known <= d
        ]
        bands = [sum(1 for n in counts if lo <= n <= hi) for lo, hi in BANDS]
        out.append((d, len(counts), bands, sum(1 for n in counts if n > cap)))
    return out


BANDS = ((0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 10**6))  # METRICS.md: 3 and 4 apart


def reference_by_campaign(
    daily: dict[tuple[Any, ...], list[Any]], facts: list[f.Fact]
) -> dict[str, Any]:
    """Cost, rates and lift per campaign (the whole fixed cost: grouped by campaign; a
    campaign never sent carries it on its planned day, in the range here)."""
    fixed = {x.campaign_id: x.fixed_cost for x in facts if isinstance(x, f.CampaignPlanned)}
    sums: dict[str, list[Any]] = {k: [0] * 10 for k, cost in fixed.items() if cost}
    for key, row in daily.items():
        total = sums.setdefault(key[0], [0] * len(row))
        sums[key[0]] = [a + b for a, b in zip(total, row, strict=True)]
    opt_outs, extra = reference_opt_outs(facts), reference_customers_and_uncredited(facts)
    out = {}
    for campaign, (sent, bounced, unit, resp, _, rev, held, cresp, _, _) in sums.items():
        delivered, opt = sent - bounced, opt_outs[campaign]
        cost = unit + fixed[campaign]
        p1 = resp / delivered if delivered else None
        p2 = cresp / held if held else None
        lift = None if p1 is None or p2 is None else 100 * (p1 - p2)
        margin = (
            None
            if p1 is None or p2 is None  # exactly when lift is None
            else 196 * math.sqrt(p1 * (1 - p1) / delivered + p2 * (1 - p2) / held)
        )
        out[campaign] = (
            sent,
            delivered,
            cost,
            rev,
            p1,
            lift,
            margin,
            opt / delivered if delivered else None,
            *extra[campaign],
        )
    return out


def reference_bands(facts: list[f.Fact]) -> dict[tuple[str, str | None], tuple[int, int]]:
    """Per campaign and band of the recipient's pressure at the send (sends to them with
    t - 30 days <= sent <= t, counting the send; METRICS.md "conversion by contact
    pressure"): sends and responding delivered sends. Hold-backs have no band."""
    sends = [x for x in facts if isinstance(x, f.MailshotSent)]
    out: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    campaigns = {x.campaign_id: x for x in facts if isinstance(x, f.CampaignPlanned)}
    for x in sends:
        n = sum(
            1
            for y in sends
            if y.customer_ref == x.customer_ref
            and x.occurred_at - timedelta(days=30) <= y.occurred_at <= x.occurred_at
        )
        components = _components(facts, x, campaigns[x.campaign_id])
        row = out[x.campaign_id, pressure_band(n)]
        row[0] += 1
        row[1] += components[3]
    return {key: (sent, responders) for key, (sent, responders) in out.items()}


# --- the view, read back -------------------------------------------------------------

TABLES = (
    "crm_campaigns",
    "crm_customers",
    "crm_mailshots",
    "crm_opt_outs",
    "crm_follow_ups",
    "crm_daily",
    "crm_contact_days",
    "crm_pressure_changes",
)


def snapshot(url: str) -> dict[str, list[Any]]:
    with psycopg.connect(url) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def daily_of(snap: dict[str, list[Any]]) -> dict[tuple[Any, ...], list[Any]]:
    return {tuple(row[:4]): list(row[4:]) for row in snap["crm_daily"]}


def by_campaign(url: str, config: ViewConfig) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        rows = crm_metrics(conn, MetricQuery(FIRST, LAST, ("campaign",)), config)
    return {
        r["campaign"]: (
            r["sent"],
            r["delivered"],
            r["cost"],
            r["revenue"],
            r["response_rate"],
            r["response_lift_pp"],
            r["response_lift_margin_pp"],
            r["opt_out_rate"],
            r["reached_customers"],
            sum(r[name] for name in UNCREDITED[:4]),
        )
        for r in rows
    }


def bands_of(url: str, config: ViewConfig) -> dict[tuple[str, str | None], tuple[int, int]]:
    query = MetricQuery(FIRST, LAST, ("campaign", "pressure_band"))
    with psycopg.connect(url) as conn:
        rows = crm_metrics(conn, query, config)
    return {(r["campaign"], r["pressure_band"]): (r["sent"], r["responses"]) for r in rows}


def pressure_of(url: str, config: ViewConfig, first: date, last: date) -> list[Any]:
    query = MetricQuery(first, last, ("day",), {}, datetime(2030, 1, 1, tzinfo=UTC))
    with psycopg.connect(url) as conn:
        rows = contact_pressure(conn, query, config)
    return [
        (r["day"], r["customers"], list(r["distribution"].values()), r["over_cap"]) for r in rows
    ]


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9)
    return bool(a == b)


# --- the property ----------------------------------------------------------------------


@dataclass
class Case:
    history: list[c.Command]
    pages: list[int]  # page sizes, one per (re)start
    stops: list[int]  # indexes into the log where a projector stops and restarts
    config: ViewConfig


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(["UTC", "America/New_York"]))
    return Case(
        history=draw(histories()),
        pages=draw(st.lists(st.integers(1, 7), min_size=1, max_size=6)),
        stops=sorted(draw(st.lists(st.integers(0, 40), max_size=5))),
        config=ViewConfig(timezone=zone, pressure_cap=draw(st.integers(0, 3))),
    )


def project_in_steps(services: Any, case: Case, positions: list[int]) -> ProjectionRunner:
    """(a): stop at each of ``case.stops``; a fresh runner and view each time (a restart)."""
    for i, stop in enumerate([*case.stops, len(positions) - 1]):
        runner = ProjectionRunner(
            services.ledger,
            services.key_pool,
            [CrmView(case.config)],
            case.pages[i % len(case.pages)],
        )
        runner.catch_up("crm", until=positions[min(stop, len(positions) - 1)])
    return runner


def assert_matches_the_reference(
    url: str, snap: dict[str, list[Any]], case: Case, facts: list[f.Fact]
) -> None:
    """(c): components, per-campaign metrics and the pressure distribution."""
    zone, cap = case.config.zone, case.config.pressure_cap
    daily = reference_daily(facts, zone)
    assert daily_of(snap) == daily
    expected, got = reference_by_campaign(daily, facts), by_campaign(url, case.config)
    assert expected.keys() == got.keys()
    for campaign, values in expected.items():
        pairs = zip(got[campaign], values, strict=True)
        assert all(_close(a, b) for a, b in pairs), repr((campaign, got[campaign], values))
    expected_bands = reference_bands(facts)
    got_bands = bands_of(url, case.config)
    assert {k: v for k, v in got_bands.items() if k[1] is not None} == expected_bands
    days = [BASE.date() - timedelta(days=2) + timedelta(days=n) for n in range(80)]
    assert pressure_of(url, case.config, days[0], days[-1]) == reference_pressure(
        facts, zone, days, cap
    )


@settings(max_examples=20, deadline=None)
@given(case=cases())
def test_incremental_equals_rebuild_equals_the_reference(fresh_database, case):
    with fresh_database() as url:
        services = build_services(Settings(database_url=url), url)
        try:
            for cmd in case.history:
                services.ledger.record(cmd, "property")
            logged = services.ledger.read_log(0, 1000)
            runner = project_in_steps(services, case, [item.position for item in logged])
            incremental = snapshot(url)
            assert_matches_the_reference(url, incremental, case, [x.fact for x in logged])
            runner.rebuild("crm")
            assert snapshot(url) == incremental
        finally:
            services.close()
