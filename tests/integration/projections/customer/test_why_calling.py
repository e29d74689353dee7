"""Why they may be calling (projections/README.md, "Why they may be calling"), by hand.

Each test records a small history, projects the customer view and reads the profile at
AT (Friday 20 March 2026, 12:00 UTC); the expected reasons, their order and sentences are
worked out in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from projections.config import ViewConfig
from projections.customer.as_of import AsOf, customer_as_of
from projections.customer.queries import customer_profile
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CONFIG = ViewConfig()
DAY = timedelta(days=1)
CAMPAIGNS = (
    b.campaign("alerts", name="Fraud alerts", channel="sms", purpose="alert"),
    b.campaign("notices", name="New terms", channel="email", purpose="service"),
    b.campaign("spring", name="Spring offer", channel="post"),  # marketing by default
    b.campaign("news", name="Money tips", channel="email", purpose="newsletter"),
)


def record(services, *cmds) -> list[int]:
    return [services.ledger.record(cmd, "test").position for cmd in cmds]


def reasons(services, at: datetime = AT, ref: str = "C1"):
    ProjectionRunner(services.ledger, services.key_pool, [CustomerView(CONFIG)]).catch_up(
        "customer"
    )
    with services.key_pool.connection() as conn:
        profile = customer_profile(conn, services.ledger.vault, ref, CONFIG, at=at)
    assert profile is not None
    return profile.why_calling


def sent(sid: str, campaign: str, when: datetime):
    channel = {"alerts": "sms", "notices": "email", "news": "email"}.get(campaign, "post")
    return b.sent(sid, campaign, "C1", occurred_at=when, channel=channel)


def call(sid: str, when: datetime, reason: str, resolved: bool = True, **over):
    return b.call(sid, "C1", occurred_at=when, reason=reason, resolved=resolved, **over)


def abandoned(sid: str, when: datetime, reason: str, wait: int):
    return call(
        sid, when, reason, resolved=False, outcome="abandoned", wait_seconds=wait,
        talk_seconds=0, hold_seconds=0, after_call_work_seconds=0,
    )  # fmt: skip


def test_an_alert_comes_first_then_service_then_offers_newest_first_never_a_newsletter(
    services,
):
    record(
        services,
        *CAMPAIGNS,
        sent("N1", "news", AT - DAY),  # a newsletter asks for no reply
        sent("M1", "spring", AT - 2 * DAY),
        sent("S1", "notices", AT - 3 * DAY),
        sent("A1", "alerts", AT - 5 * DAY),
        sent("A0", "alerts", AT - 15 * DAY),  # older than 14 days
        sent("M2", "spring", AT - 14 * DAY),  # exactly 14 days: inside, but 6th: cut
        sent("M3", "spring", AT - 10 * DAY),
        sent("B1", "spring", AT - timedelta(hours=1)),  # bounced before AT: never arrived
        b.bounced("B1", "bn-1", customer_ref="C1", occurred_at=AT - timedelta(minutes=30)),
        sent("B2", "spring", AT - timedelta(hours=2)),  # bounces only after AT
        b.bounced("B2", "bn-2", customer_ref="C1", occurred_at=AT + timedelta(hours=1)),
    )
    found = reasons(services)
    # Alert A1; service S1; marketing newest first: B2, M1, M3 (M2 is the 6th: cut).
    assert [(r.because, r.interaction.source_id) for r in found] == [
        ("recent_outbound", "A1"),
        ("recent_outbound", "S1"),
        ("recent_outbound", "B2"),
        ("recent_outbound", "M1"),
        ("recent_outbound", "M3"),
    ]
    assert found[0].sentence == (
        "Alert SMS “Fraud alerts” sent on Sun 15 Mar at 12:00 UTC: an alert asks for an "
        "urgent reply, start with this."
    )
    assert found[1].sentence == (
        "Service e-mail “New terms” sent on Tue 17 Mar at 12:00 UTC: they may be calling about it."
    )
    mailshot = found[0].interaction.mailshot
    assert (mailshot.campaign_name, mailshot.campaign_purpose) == ("Fraud alerts", "alert")


def test_a_reply_already_given_is_said_in_the_sentence(services):
    record(
        services,
        *CAMPAIGNS,
        sent("A1", "alerts", AT - timedelta(hours=3)),
        b.responded("A1", "r-1", customer_ref="C1", occurred_at=AT - 2 * timedelta(hours=1),
                    how="callback"),
    )  # fmt: skip
    [reason] = reasons(services)
    assert reason.sentence == (
        "Alert SMS “Fraud alerts” sent today at 09:00 UTC: an alert asks for an urgent "
        "reply, start with this. They already replied (callback) today at 10:00 UTC."
    )


def test_a_telemarketing_call_is_said_to_have_been_made_not_sent(services):
    record(
        services,
        b.campaign("outbound", name="Loan rates", channel="phone"),
        b.sent("T1", "outbound", "C1", occurred_at=AT - DAY, channel="phone"),
    )
    [reason] = reasons(services)
    assert reason.sentence == (
        "Offer call “Loan rates” made yesterday at 12:00 UTC: they may be calling about the offer."
    )


def test_an_unresolved_call_is_dropped_once_a_later_call_resolves_its_reason(services):
    record(
        services,
        call("K1", AT - 10 * DAY, "card-lost", resolved=False),
        call("K2", AT - 5 * DAY, "card-lost"),  # resolves card-lost: K1 is dropped
        call("P1", AT - 8 * DAY, "pin-reset", resolved=False),
        abandoned("P2", AT - 3 * DAY, "pin-reset", wait=185),  # pin-reset: 2 open calls
        call("Q1", AT - 31 * DAY, "complaint", resolved=False),  # older than 30 days
        call("Q2", AT - 30 * DAY, "statement", resolved=False),  # exactly 30 days: inside
        call("R1", AT - 9 * DAY, "move", resolved=False),
        call("R2", AT - 9 * DAY, "move"),  # same instant as R1: not later, R1 stays open
        call("L1", AT - 2 * DAY, "fee", resolved=False),
        call("L2", AT + DAY, "fee"),  # resolves fee, but after AT
    )
    found = reasons(services)
    # One per reason, newest first: fee (L1), pin-reset (P2), move (R1), statement (Q2).
    # Calls in [13 Mar 12:00, AT]: K2, P2, L1: 3 calls, a repeat pattern, ranked after.
    assert [(r.because, r.interaction.source_id) for r in found] == [
        ("unresolved_call", "L1"),
        ("unresolved_call", "P2"),
        ("unresolved_call", "R1"),
        ("unresolved_call", "Q2"),
        ("repeat_contact", "L1"),
    ]
    assert found[1].sentence == (
        "“pin-reset” is not resolved after 2 calls: the caller hung up on Tue 17 Mar at "
        "12:00 UTC after waiting 3 min 5 s (billing queue)."
    )
    assert found[2].sentence == (
        "“move” is not resolved: the call on Wed 11 Mar at 12:00 UTC (billing queue, agent "
        "agent-7) ended without a resolution."
    )


def test_three_calls_in_the_repeat_window_are_a_pattern_two_are_not(services):
    record(
        services,
        call("C1", AT - 7 * DAY, "bill"),  # exactly W = 7 days before AT: inside
        call("C2", AT - 3 * DAY, "bill"),
        call("C3", AT - DAY, "move"),
    )
    [reason] = reasons(services)
    assert (reason.because, reason.interaction.source_id) == ("repeat_contact", "C3")
    assert reason.sentence == (
        "3 calls in the last 7 days, 2 about “bill”, the latest yesterday at 12:00 UTC: a "
        "repeat caller, check what the earlier calls left open."
    )
    assert reasons(services, at=AT + timedelta(seconds=1)) == []  # C1 fell out: 2 calls


def test_an_open_detractor_is_a_reason_until_its_window_closes(services):
    record(
        services,
        call("call-1", AT - 50 * timedelta(hours=1), "bill"),
        b.survey("S1", "C1", occurred_at=AT - 47 * timedelta(hours=1), nps=2, comment="slow"),
    )
    [reason] = reasons(services)
    assert (reason.because, reason.interaction.source_id) == ("open_detractor", "S1")
    assert reason.sentence == (
        "Detractor score 2/10 on Wed 18 Mar at 13:00 UTC about a call, not followed up yet: "
        "close the loop by today at 13:00 UTC."
    )
    assert reason.interaction.survey.comment == "slow"  # the link opens like the timeline
    # Due at 13:00: closed from that instant on (METRICS.md), expired is not a reason.
    assert reasons(services, at=AT + timedelta(hours=1)) == []


def test_reasons_of_every_kind_are_ranked_and_cut_at_five(services):
    record(
        services,
        *CAMPAIGNS,
        sent("M1", "spring", AT - timedelta(hours=30)),  # marketing: 6th, cut
        sent("S1", "notices", AT - 2 * DAY),  # service
        call("X1", AT - 6 * DAY, "bill"),
        call("X2", AT - 5 * DAY, "bill", resolved=False),  # unresolved
        b.survey("V1", "C1", occurred_at=AT - 4 * DAY, nps=9, about=None),
        call("X3", AT - 4 * DAY, "move"),  # 3rd call in the window: repeat pattern
        b.survey("D1", "C1", occurred_at=AT - DAY, nps=0, about=None, comment=None),
        sent("A1", "alerts", AT - 12 * DAY),  # alert
    )
    found = reasons(services)
    assert [(r.because, r.interaction.source_id) for r in found] == [
        ("recent_outbound", "A1"),
        ("open_detractor", "D1"),
        ("unresolved_call", "X2"),
        ("repeat_contact", "X3"),
        ("recent_outbound", "S1"),
    ]
    assert found[1].sentence == (
        "Detractor score 0/10 yesterday at 12:00 UTC (transactional survey), not followed "
        "up yet: close the loop by tomorrow at 12:00 UTC."
    )


def test_the_profile_as_of_a_past_point_gives_the_reasons_the_live_view_gave(services):
    [*_, point] = record(
        services,
        *CAMPAIGNS,
        sent("A1", "alerts", AT - DAY),
        call("K1", AT - 2 * DAY, "card-lost", resolved=False),
    )
    live = reasons(services)
    record(services, call("K2", AT - DAY, "card-lost"))  # later: resolves card-lost
    assert [r.because for r in reasons(services)] == ["recent_outbound"]
    with services.key_pool.connection() as conn:
        past = customer_as_of(
            conn, services.ledger, services.ledger.vault, "C1", CONFIG,
            as_of=AsOf(position=point), at=AT,
        )  # fmt: skip
    assert past is not None
    assert past.why_calling == live
    assert [r.because for r in live] == ["recent_outbound", "unresolved_call"]
