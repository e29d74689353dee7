"""Property: for random histories, (a) the customer view projected incrementally with random
page sizes and stop/restart points == (b) a rebuild from scratch, and the profiles read from
it == (c) a plain in-memory computation of METRICS.md's "Single customer view" written here.

Times come from a grid around AT, so ties and the ends of windows (exactly 7, 14 and 30 days,
48 hours) come up often; some facts happen after AT and must not count in its windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from projections.config import ViewConfig
from projections.customer.models import nps_category
from projections.customer.queries import customer_profile
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b
from tests.integration.histories import snapshot

BASE = datetime(2026, 2, 1, tzinfo=UTC)
AT = BASE + timedelta(days=32)
REFS = ("A", "B")
CONFIG = ViewConfig(cost_per_handled_second={"q1": Decimal("0.02")})
DAY = timedelta(days=1)

AT_HOURS = 32 * 24
PURPOSES = {"camp": "marketing", "alerts": "alert", "notices": "service", "news": "newsletter"}
# Times come from a small grid around AT's windows, so that ties and exact window ends
# (48 h, 7, 14 and 30 days, both inside and just outside) occur in most examples; two
# grid points are after AT and must not count in its windows.
GRID = [AT_HOURS - h for h in (-24, -6, 0, 6, 42, 48, 54, 96, 162, 168, 174, 336, 342, 720, 726)]
hours = st.sampled_from(GRID)
refs = st.sampled_from(REFS)
_OPS = (
    st.tuples(st.just("register"), refs, hours, st.sampled_from(["gold", "retail", None])),
    st.tuples(st.just("change"), refs, hours, st.sampled_from(["name", "email", "phone"])),
    st.tuples(st.just("consent"), refs, hours, st.sampled_from(["post", "sms"]), st.booleans()),
    st.tuples(
        st.just("call"),
        refs,
        hours,
        st.sampled_from(["bill", "move"]),
        st.sampled_from(["q1", "q2"]),
        st.booleans(),  # answered
        st.integers(0, 600),
        st.booleans(),  # resolved
    ),
    st.tuples(
        st.just("correct"),
        st.integers(0, 30),
        st.integers(1, 72),
        st.sampled_from([None, "bill", "move"]),
        st.sampled_from([None, "q1", "q2"]),
        st.one_of(st.none(), st.integers(0, 900)),
        st.one_of(st.none(), st.booleans()),
    ),
    st.tuples(
        st.just("sent"),
        refs,
        hours,
        st.sampled_from(["post", "email", "sms"]),
        st.sampled_from(list(PURPOSES)),  # the campaign (its purpose)
    ),
    st.tuples(st.just("held"), refs, hours),
    st.tuples(
        st.just("follow"),
        st.integers(0, 30),
        st.sampled_from(["delivered", "bounced", "responded", "converted"]),
        st.integers(0, 24 * 5),
    ),
    st.tuples(st.just("survey"), refs, hours, st.one_of(st.none(), st.integers(0, 10))),
    st.tuples(st.just("erase"), refs),
)
# Weighted towards calls, surveys and sends (what the windows and flags are about).
CALL, SENT, SURVEY = _OPS[3], _OPS[5], _OPS[8]
OPS = st.one_of(*_OPS, CALL, CALL, SENT, SURVEY, SURVEY)


@dataclass
class Call:
    sid: str
    ref: str
    t: datetime
    pos: int
    queue: str
    reason: str
    outcome: str
    talk: int
    resolved: bool
    corrections: int = 0


@dataclass
class Mail:
    sid: str
    ref: str
    t: datetime
    pos: int
    channel: str
    sent: bool
    campaign: str = "camp"
    delivered: datetime | None = None
    bounced: datetime | None = None
    responses: int = 0
    first_response: tuple[datetime, int, str] | None = None
    conversions: int = 0
    value: Decimal = Decimal(0)


@dataclass
class Survey:
    sid: str
    ref: str
    t: datetime
    pos: int
    nps: int | None


@dataclass
class Model:
    """What the log says, kept the plain way; ``pos`` is the order of recording."""

    seen: set[str] = field(default_factory=set)
    registered: dict[str, tuple[datetime, str | None]] = field(default_factory=dict)
    details: list[tuple[str, datetime, int, str, str]] = field(default_factory=list)
    consent: dict[tuple[str, str], tuple[datetime, int, bool]] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    mails: list[Mail] = field(default_factory=list)
    surveys: list[Survey] = field(default_factory=list)
    pos: int = 0


def _hours(n: int) -> datetime:
    return BASE + timedelta(hours=n)


def _record(services, model: Model, op: tuple[Any, ...]) -> None:
    """Record ``op`` if the rules allow it, and update the model the same way."""
    kind, sid = op[0], f"x{model.pos}"
    handler = globals()[f"_op_{kind}"]
    cmd = handler(model, sid, op[1:])
    if cmd is None:
        return
    if cmd == "erase":
        services.ledger.erase_customer(op[1], "test")
    else:
        services.ledger.record(cmd, "test")
    model.pos += 1


def _op_register(m: Model, sid, args):
    ref, h, segment = args
    if ref in m.registered or ref in m.erased:
        return None
    m.seen.add(ref)
    m.registered[ref] = (_hours(h), segment)
    values = {"name": f"name-{sid}", "email": f"{sid}@example.org", "phone": f"+44 {sid}"}
    m.details += [(ref, _hours(h), m.pos, k, v) for k, v in values.items()]
    return b.customer(ref, occurred_at=_hours(h), segment=segment, **values)


def _op_change(m: Model, sid, args):
    ref, h, name = args
    if ref in m.erased:
        return None
    m.seen.add(ref)
    value = f"+44 {sid}" if name == "phone" else f"{name}-{sid}"
    m.details.append((ref, _hours(h), m.pos, name, value))
    return b.contact_change(ref, sid, occurred_at=_hours(h), **{"email": None, name: value})


def _op_consent(m: Model, sid, args):
    ref, h, channel, granted = args
    m.seen.add(ref)
    key, new = (ref, channel), (_hours(h), m.pos, granted)
    if key not in m.consent or new[:2] > m.consent[key][:2]:
        m.consent[key] = new
    return b.consent(ref, sid, occurred_at=_hours(h), channel=channel, granted=granted)


def _op_call(m: Model, sid, args):
    ref, h, reason, queue, answered, talk, resolved = args
    m.seen.add(ref)
    outcome, talk = ("answered", talk) if answered else ("abandoned", 0)
    m.calls.append(Call(sid, ref, _hours(h), m.pos, queue, reason, outcome, talk, resolved))
    return b.call(
        sid, ref, occurred_at=_hours(h), reason=reason, queue=queue, outcome=outcome,
        talk_seconds=talk, hold_seconds=0, after_call_work_seconds=0, resolved=resolved,
    )  # fmt: skip


def _op_correct(m: Model, sid, args):
    index, delay, reason, queue, talk, resolved = args
    if not m.calls:
        return None
    call = m.calls[index % len(m.calls)]
    if call.outcome == "abandoned":
        talk = None  # an abandoned call keeps no talk time
    if reason is None and queue is None and talk is None and resolved is None:
        return None
    call.reason, call.queue = reason or call.reason, queue or call.queue
    call.talk = call.talk if talk is None else talk
    call.resolved = call.resolved if resolved is None else resolved
    call.corrections += 1
    return b.correction(
        call.sid, sid, customer_ref=call.ref, occurred_at=call.t + timedelta(hours=delay),
        reason=reason, queue=queue, talk_seconds=talk, resolved=resolved,
    )  # fmt: skip


def _op_sent(m: Model, sid, args):
    ref, h, channel, campaign = args
    m.seen.add(ref)
    m.mails.append(Mail(sid, ref, _hours(h), m.pos, channel, sent=True, campaign=campaign))
    return b.sent(sid, campaign, ref, occurred_at=_hours(h), channel=channel, unit_cost="0.50")


def _op_held(m: Model, sid, args):
    ref, h = args
    m.seen.add(ref)
    m.mails.append(Mail(sid, ref, _hours(h), m.pos, "post", sent=False))
    return b.held_back(sid, "camp", ref, occurred_at=_hours(h))


def _op_follow(m: Model, sid, args):
    index, kind, delay = args
    if not m.mails:
        return None
    mail = m.mails[index % len(m.mails)]
    if not mail.sent and kind in ("delivered", "bounced"):
        kind = "responded"
    t = mail.t + timedelta(hours=delay)
    common = {"customer_ref": mail.ref, "occurred_at": t}
    if kind == "delivered":
        mail.delivered = min(mail.delivered or t, t)
        return b.delivered(mail.sid, sid, **common)
    if kind == "bounced":
        mail.bounced = min(mail.bounced or t, t)
        return b.bounced(mail.sid, sid, **common)
    if kind == "responded":
        mail.responses += 1
        first = (t, m.pos, f"how-{sid}")
        mail.first_response = min(mail.first_response or first, first)
        return b.responded(mail.sid, sid, how=f"how-{sid}", **common)
    mail.conversions += 1
    mail.value += Decimal("12.50")
    return b.converted(mail.sid, sid, value="12.50", **common)


def _op_survey(m: Model, sid, args):
    ref, h, nps = args
    m.seen.add(ref)
    m.surveys.append(Survey(sid, ref, _hours(h), m.pos, nps))
    scores = {"nps": nps, "csat": None if nps is not None else 3, "effort": None}
    return b.survey(sid, ref, occurred_at=_hours(h), about=None, comment=None, **scores)


def _op_erase(m: Model, sid, args):
    (ref,) = args
    if ref in m.erased:
        return None
    m.seen.add(ref)
    m.erased.add(ref)
    return "erase"


# --- the reference: METRICS.md "Single customer view", the plain way ---------------------


def _interactions(m: Model, ref: str) -> list[Any]:
    everything: list[Call | Mail | Survey] = [*m.calls, *m.mails, *m.surveys]
    mine = [x for x in everything if x.ref == ref]
    return sorted(
        (x for x in mine if not isinstance(x, Mail) or x.sent),
        key=lambda x: (x.t, x.pos),
        reverse=True,
    )


def _key(x: Any) -> tuple[Any, ...]:
    if isinstance(x, Call):
        details: tuple[Any, ...] = (x.queue, x.reason, x.outcome, x.talk, x.resolved, x.corrections)
    elif isinstance(x, Mail):
        how = None if x.first_response is None else x.first_response[2]
        first = None if x.first_response is None else x.first_response[0]
        details = (x.delivered, x.bounced, x.responses, first, how, x.conversions, x.value)
    else:
        details = (x.nps,)
    return (x.sid, x.t, details)


def _latest_detail(m: Model, ref: str, name: str) -> str | None:
    values = [(t, pos, v) for r, t, pos, k, v in m.details if r == ref and k == name]
    return max(values)[2] if values else None


def _followed_up(m: Model, s: Survey) -> bool:
    until = min(s.t + timedelta(hours=48), AT)
    contacts = [x for x in _interactions(m, s.ref) if not isinstance(x, Survey)]
    return any(
        s.t < x.t <= until and (isinstance(x, Mail) or x.outcome == "answered") for x in contacts
    )


def _is_repeat(m: Model, ref: str) -> bool:
    calls = [c for c in m.calls if c.ref == ref]
    window = [c for c in calls if AT - 7 * DAY <= c.t <= AT]
    return any(
        c1.outcome == "answered" and c1.reason == c2.reason and c1.t < c2.t <= c1.t + 7 * DAY
        for c2 in window
        for c1 in calls
    )


def _why(items: list[Any], open_sids: set[str]) -> list[tuple[str, str]]:
    """projections/README.md, "Why they may be calling", the plain way: (rank, newest
    first) over alerts, open detractors, unresolved calls per reason, a repeat pattern,
    service then marketing sends; never a newsletter; at most 5."""
    rank = {"alert": 0, "service": 4, "marketing": 5}
    now = [x for x in items if x.t <= AT]
    found = []
    for x in now:
        arrived = isinstance(x, Mail) and (x.bounced is None or x.bounced > AT)
        if arrived and PURPOSES[x.campaign] in rank and x.t >= AT - 14 * DAY:
            found.append((rank[PURPOSES[x.campaign]], x, "recent_outbound"))
        if isinstance(x, Survey) and x.sid in open_sids:
            found.append((1, x, "open_detractor"))
    calls = [x for x in now if isinstance(x, Call) and x.t >= AT - 30 * DAY]
    for reason in {c.reason for c in calls}:
        unsettled = [
            c
            for c in calls
            if c.reason == reason
            and not c.resolved
            and not any(d.reason == reason and d.resolved and d.t > c.t for d in calls)
        ]
        if unsettled:
            found.append((2, max(unsettled, key=lambda c: (c.t, c.pos)), "unresolved_call"))
    window = [c for c in calls if c.t >= AT - 7 * DAY]
    if len(window) >= 3:
        found.append((3, max(window, key=lambda c: (c.t, c.pos)), "repeat_contact"))
    found.sort(key=lambda f: (f[0], -f[1].t.timestamp(), -f[1].pos))
    return [(because, x.sid) for _, x, because in found[:5]]


def expected(m: Model, ref: str) -> dict[str, Any] | None:
    if ref not in m.seen:
        return None
    items = _interactions(m, ref)
    calls = [x for x in items if isinstance(x, Call)]
    mails = [x for x in items if isinstance(x, Mail)]
    surveys = [x for x in items if isinstance(x, Survey)]
    answered = [c for c in calls if c.outcome == "answered"]
    erased = ref in m.erased
    personal = tuple(
        None if erased else _latest_detail(m, ref, n) for n in ("name", "email", "phone")
    )
    scored = sorted((s for s in surveys if s.nps is not None), key=lambda s: (s.t, s.pos))
    latest_nps = None
    if scored:
        latest = scored[-1]
        assert latest.nps is not None  # scored surveys have a score
        latest_nps = (latest.nps, nps_category(latest.nps), latest.t)
    detractors = [
        s
        for s in surveys
        if s.nps is not None and s.nps <= 6 and s.t <= AT and not _followed_up(m, s)
    ]
    # METRICS.md: the window is closed from its end instant on (open only before it).
    open_sids = {s.sid for s in detractors if s.t + timedelta(hours=48) > AT}
    return {
        "registered": ref in m.registered,
        "registered_at": m.registered.get(ref, (None, None))[0],
        "segment": m.registered.get(ref, (None, None))[1],
        "personal": ("erased" if erased else "visible", *personal),
        "consent": {ch: (g, t) for (r, ch), (t, _, g) in m.consent.items() if r == ref},
        "counts": {
            "phone": len(calls),
            **{ch: sum(x.channel == ch for x in mails) for ch in ("post", "email", "sms")},
            "survey": len(surveys),
            "lifetime": len(items),
        },
        "last_contact": max((x.t for x in items), default=None),
        "recent": [_key(x) for x in items[:50]],
        "latest_nps": latest_nps,
        "detractors": [
            (s.sid, s.nps, "open" if s.sid in open_sids else "expired") for s in detractors
        ],
        "calls_in_window": sum(AT - 7 * DAY <= c.t <= AT for c in calls),
        "repeat": _is_repeat(m, ref),
        "mailshots_30d": sum(AT - 30 * DAY <= x.t <= AT for x in mails),
        "handled": sum(c.talk for c in answered),
        "cost": sum(
            (c.talk * CONFIG.rate(c.queue) + Decimal("0.50") for c in answered), Decimal(0)
        ),
        "why": _why(items, open_sids),
    }


def observed(conn, vault, ref: str) -> dict[str, Any] | None:
    p = customer_profile(conn, vault, ref, CONFIG, at=AT)
    if p is None:
        return None

    def key(i):
        details: tuple[Any, ...]
        if i.call is not None:
            c = i.call
            details = (c.queue, c.reason, c.outcome, c.talk_seconds, c.resolved, c.corrections)
        elif i.mailshot is not None:
            x = i.mailshot
            details = (x.delivered_at, x.bounced_at, x.responses, x.first_response_at,
                       x.first_response_how, x.conversions, x.conversion_value)  # fmt: skip
        else:
            details = (i.survey.nps,)
        return (i.source_id, i.occurred_at, details)

    return {
        "registered": p.registered,
        "registered_at": p.registered_at,
        "segment": p.segment,
        "personal": (p.personal_data, p.name, p.email, p.phone),
        "consent": {ch: (c.granted, c.changed_at) for ch, c in p.consent.items()},
        "counts": p.counts.model_dump(),
        "last_contact": p.last_contact,
        "recent": [key(i) for i in p.recent_interactions],
        "latest_nps": None
        if p.latest_nps is None
        else (p.latest_nps.score, p.latest_nps.category, p.latest_nps.occurred_at),
        "detractors": [
            (_sid(p, d.position), d.nps, d.state)
            for d in sorted(
                [*p.open_detractors, *p.expired_detractors],
                key=lambda d: (d.occurred_at, d.position),
                reverse=True,
            )
        ],
        "calls_in_window": p.calls_in_repeat_window,
        "repeat": p.repeat_contact,
        "mailshots_30d": p.mailshots_last_30_days,
        "handled": p.lifetime_handled_seconds,
        "cost": p.lifetime_handled_cost,
        "why": [(r.because, r.interaction and r.interaction.source_id) for r in p.why_calling],
    }


def _sid(p, position: int) -> str:
    return next(i.source_id for i in p.recent_interactions if i.position == position)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=20, max_size=40), data=st.data())
def test_incremental_equals_rebuild_equals_the_reference(fresh_database, ops, data):
    with fresh_database() as url:
        services = build_services(Settings(database_url=url), url)
        try:
            _check(services, ops, data)
        finally:
            services.close()


def _check(services, ops, data) -> None:
    model = Model()
    for campaign, purpose in PURPOSES.items():
        services.ledger.record(
            b.campaign(campaign, occurred_at=BASE - DAY, purpose=purpose), "test"
        )
    for op in ops:
        _record(services, model, op)
    view = CustomerView(CONFIG)
    head = services.ledger.head_position()
    stops = data.draw(st.lists(st.integers(0, head), max_size=4), label="stops")
    for stop in [*sorted(stops), head]:  # a new runner (a restart) at every stop
        page_size = data.draw(st.integers(1, 8), label="page size")
        runner = ProjectionRunner(services.ledger, services.key_pool, [view], page_size)
        runner.catch_up("customer", until=stop)
    with services.key_pool.connection() as conn:
        incremental = snapshot(conn, view.tables)
    runner.rebuild("customer")
    with services.key_pool.connection() as conn:
        assert snapshot(conn, view.tables) == incremental
        for ref in REFS:
            assert observed(conn, services.ledger.vault, ref) == expected(model, ref), ref
