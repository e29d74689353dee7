"""The single customer view (METRICS.md, "Single customer view"), hand-computed.

One customer's history is recorded, some of it late (log order is not
occurred_at order), projected, and every field of the profile is checked at a
fixed ``at`` against figures worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from projections.config import ViewConfig
from projections.customer.queries import UnknownCursor, customer_profile, timeline
from projections.customer.view import CustomerView
from projections.runner import ProjectionRunner
from tests import builders as b

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
CONFIG = ViewConfig(cost_per_handled_second={"billing": Decimal("0.02")})


def d(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def record(services, *cmds):
    return [services.ledger.record(cmd, "test") for cmd in cmds]


def project(services, page_size: int = 4) -> ProjectionRunner:
    runner = ProjectionRunner(
        services.ledger, services.key_pool, [CustomerView(CONFIG)], page_size=page_size
    )
    runner.catch_up("customer")
    return runner


def profile(services, ref: str = "C1", at: datetime = AT, config: ViewConfig = CONFIG, vault=True):
    with services.key_pool.connection() as conn:
        return customer_profile(conn, services.ledger.vault if vault else None, ref, config, at=at)


def call(sid, when, **over):
    return b.call(sid, "C1", occurred_at=when, **over)


def sent(sid, when, campaign, channel, cost):
    return b.sent(sid, campaign, "C1", occurred_at=when, channel=channel, unit_cost=cost)


def follow(builder, mailshot, sid, when, **over):
    return builder(mailshot, sid, occurred_at=when, customer_ref="C1", **over)


def survey(sid, when, **over):
    return b.survey(sid, "C1", occurred_at=when, comment=None, about=None, **over)


def history(services):
    """The customer of the hand-computed example; see the expectations in the tests."""
    record(
        services,
        b.campaign("spring", channel="email"),
        b.campaign("autumn", channel="post"),
        survey("S0", d(20, 10, month=2), nps=0, csat=1),  # detractor, never followed up
        call("D", d(1, 8), talk_seconds=100, hold_seconds=0, after_call_work_seconds=0),
        sent("M1", d(1, 10), "spring", "email", "0.10"),
        b.customer(
            "C1",
            occurred_at=d(2, 9),
            name="Ada Lovelace",
            email="ada@example.org",
            phone="+44 1",
            segment="gold",
        ),
        b.consent("C1", "k1", occurred_at=d(2, 9), channel="email", granted=True),
        b.consent("C1", "k2", occurred_at=d(4), channel="sms", granted=True),
        b.contact_change("C1", "chg-1", occurred_at=d(5), email="ada@new.example.org"),
        survey("S3", d(5, 12), survey_kind="relationship", nps=8, csat=4, effort=6),
        call(
            "A",
            d(10, 10),
            talk_seconds=300,
            hold_seconds=60,
            after_call_work_seconds=40,
            reason="bill",
            resolved=True,
        ),
        survey("S1", d(10, 12), nps=3),  # detractor, closed by M2 within 48 h
        b.consent("C1", "k3", occurred_at=d(10), channel="email", granted=False),
        sent("M2", d(12, 9), "autumn", "post", "0.85"),
        b.held_back("M4", "autumn", "C1", occurred_at=d(12, 9)),  # control group: not a contact
        follow(b.delivered, "M2", "dl-2", d(13)),
        follow(b.responded, "M2", "rs-2", d(14), how="web"),
        follow(b.converted, "M2", "cv-2", d(15), value="40.00"),
        call(
            "B",
            d(15, 9),
            talk_seconds=200,
            hold_seconds=0,
            after_call_work_seconds=30,
            reason="bill",
            resolved=False,
        ),
        sent("M3", d(16), "spring", "sms", "0.05"),
        follow(b.bounced, "M3", "bn-3", d(16, 1)),
        call(
            "C",
            d(18, 14),
            queue="sales",
            reason="upgrade",
            outcome="abandoned",
            wait_seconds=40,
            talk_seconds=0,
            hold_seconds=0,
            after_call_work_seconds=0,
            resolved=False,
        ),
        survey("S2", d(18, 15), nps=5),  # detractor, still open at AT (due 20 Mar 15:00)
        # Late arrivals: happened earlier than facts already in the log.
        b.contact_change("C1", "chg-0", occurred_at=d(3), email="stale@example.org", phone="+44 2"),
        b.consent("C1", "k0", occurred_at=d(8), channel="email", granted=True),
        b.correction(
            "B", "fix-B", occurred_at=d(15, 10), customer_ref="C1", resolved=True, talk_seconds=260
        ),
    )


@pytest.fixture
def example(services):
    history(services)
    project(services)
    return profile(services)


def test_the_profile_shows_the_latest_details_by_occurrence_not_by_arrival(example):
    # email: registration (2 Mar) < late stale change (3 Mar) < change of 5 Mar -> 5 Mar wins.
    # phone: registration (2 Mar) < late change of 3 Mar -> the late one wins.
    assert example.registered is True
    assert example.registered_at == d(2, 9)
    assert (example.name, example.email, example.phone) == (
        "Ada Lovelace",
        "ada@new.example.org",
        "+44 2",
    )
    assert example.segment == "gold"
    assert example.personal_data == "visible"
    assert example.erased_at is None


def test_consent_per_channel_is_the_latest_change_by_occurrence(example):
    # email: granted 2 Mar, (late) granted 8 Mar, withdrawn 10 Mar -> withdrawn on 10 Mar.
    assert {k: (v.granted, v.changed_at) for k, v in example.consent.items()} == {
        "email": (False, d(10)),
        "sms": (True, d(4)),
    }


def test_counts_per_channel_and_lifetime_leave_out_the_control_group(example):
    # calls D, A, B, C; mailshots M1 (email), M2 (post), M3 (sms); M4 held back;
    # surveys S0, S1, S2, S3 -> 11 in all.
    counts = example.counts
    assert (counts.phone, counts.email, counts.post, counts.sms, counts.survey) == (4, 1, 1, 1, 4)
    assert counts.lifetime == 11
    assert example.last_contact == d(18, 15)  # S2


def test_the_last_interactions_are_newest_first_by_occurrence(example):
    expected = ["S2", "C", "M3", "B", "M2", "S1", "A", "S3", "M1", "D", "S0"]
    assert [i.source_id for i in example.recent_interactions] == expected
    m2 = example.recent_interactions[4].mailshot
    assert (m2.delivered_at, m2.responses, m2.first_response_how) == (d(13), 1, "web")
    assert (m2.conversions, m2.conversion_value) == (1, Decimal("40.00"))
    assert example.recent_interactions[2].mailshot.bounced_at == d(16, 1)


def test_latest_nps_and_its_category(example):
    # S2 (18 Mar, nps 5) is the latest reply with an NPS: 0-6 is a detractor.
    assert (example.latest_nps.score, example.latest_nps.category) == (5, "detractor")


def test_detractors_without_follow_up_are_open_or_expired_and_listed_apart(example):
    # S2: no outbound mailshot / answered call after it; due 20 Mar 15:00 > AT -> open.
    # S1: M2 sent 12 Mar 09:00, 45 h after -> closed. S0 (20 Feb): next contact 1 Mar -> expired.
    assert [(r.nps, r.state) for r in example.open_detractors] == [(5, "open")]
    assert [(r.nps, r.state) for r in example.expired_detractors] == [(0, "expired")]
    assert example.open_detractors[0].follow_up_due == d(20, 15)
    assert example.open_detractor is True


def test_a_detractor_window_is_closed_from_its_end_instant_on(services):
    """METRICS.md (closed loop): a window is closed from its end instant on, and a follow-up
    at the reply's own instant does not follow it."""
    same = AT - timedelta(hours=1)
    record(
        services,
        survey("S1", AT - timedelta(hours=48), nps=4),  # C1: due exactly at AT
        b.survey("S2", "C2", occurred_at=same, nps=6, comment=None, about=None),  # due AT + 47 h
        b.call("F", "C2", occurred_at=same, reason="other"),  # answered, same instant as S2
    )
    project(services)
    assert profile(services).open_detractors == []
    assert [(r.nps, r.state) for r in profile(services).expired_detractors] == [(4, "expired")]
    just_before = profile(services, at=AT - timedelta(microseconds=1))
    assert [(r.nps, r.state) for r in just_before.open_detractors] == [(4, "open")]
    other = profile(services, "C2")
    assert [(r.nps, r.state) for r in other.open_detractors] == [(6, "open")]
    assert profile(services, "C2", at=same + timedelta(hours=48)).open_detractor is False


def test_calls_in_the_window_and_the_repeat_contact_flag(example):
    # Window [13 Mar 12:00, 20 Mar 12:00]: B and C. B (bill, 15 Mar) comes 5 days after the
    # answered call A (bill, 10 Mar): a repeat under the FCR rule.
    assert example.calls_in_repeat_window == 2
    assert example.repeat_window_days == 7
    assert example.repeat_contact is True


def test_mailshots_in_the_last_30_days_against_the_cap(example):
    # Window [18 Feb 12:00, 20 Mar 12:00]: M1, M2, M3 (M4 was held back) -> 3 <= cap 4.
    assert (example.mailshots_last_30_days, example.pressure_cap) == (3, 4)
    assert example.over_pressure_cap is False


def test_lifetime_handled_cost_uses_the_corrected_call(example):
    # Answered: D 100 s, A 300+60+40 = 400 s, B corrected 260+0+30 = 290 s, all billing.
    # 790 s x 0.02 + 3 x 0.50 = 15.80 + 1.50 = 17.30 (C was abandoned).
    assert example.lifetime_handled_seconds == 790
    assert example.lifetime_handled_cost == Decimal("17.30")


def test_why_they_may_be_calling_ranks_an_open_detractor_an_unresolved_call_then_an_offer(
    example,
):
    # Open detractor: S2. Unresolved in the last 30 days: C (abandoned; B was corrected to
    # resolved). Sends since 6 Mar 12:00: M2 (marketing); M3 bounced, M1 is older.
    # No repeat pattern: only B and C in the last 7 days. Ranks: detractor, call, offer.
    reasons = [(r.because, r.interaction.source_id, r.sentence) for r in example.why_calling]
    assert reasons == [
        (
            "open_detractor",
            "S2",
            "Detractor score 5/10 on Wed 18 Mar at 15:00 UTC (transactional survey), not "
            "followed up yet: close the loop by today at 15:00 UTC.",
        ),
        (
            "unresolved_call",
            "C",
            "“upgrade” is not resolved: the caller hung up on Wed 18 Mar at 14:00 UTC after "
            "waiting 40 s (sales queue).",
        ),
        (
            "recent_outbound",
            "M2",
            "Offer letter “Campaign autumn” sent on Thu 12 Mar at 09:00 UTC: they may be "
            "calling about the offer. They already replied (web) on Sat 14 Mar at 00:00 UTC.",
        ),
    ]
    assert example.why_calling[2].interaction.mailshot.campaign_name == "Campaign autumn"


def test_windows_are_relative_to_at_not_to_projection_time(services):
    history(services)
    project(services)
    later = profile(services, at=AT + timedelta(days=12))
    # 1 Apr 12:00: no call since 25 Mar, no mailshot since 18 Mar; since 2 Mar 12:00 (30
    # days): M2, M3 (M1 is older); S2's loop passed without a follow-up.
    assert (later.calls_in_repeat_window, later.repeat_contact) == (0, False)
    assert later.mailshots_last_30_days == 2
    assert [r.because for r in later.why_calling] == ["unresolved_call"]
    assert later.open_detractors == []
    assert [r.state for r in later.expired_detractors] == ["expired", "expired"]


def test_a_correction_is_reflected_in_the_view(services):
    record(
        services,
        call(
            "X",
            d(18),
            reason="bill",
            resolved=False,
            queue="billing",
            talk_seconds=100,
            hold_seconds=0,
            after_call_work_seconds=0,
        ),
    )
    runner = project(services)
    before = profile(services)
    record(
        services,
        b.correction(
            "X",
            "fx",
            occurred_at=d(18, 1),
            customer_ref="C1",
            resolved=True,
            queue="sales",
            talk_seconds=400,
        ),
    )
    runner.catch_up("customer")
    after = profile(services)
    # before: 100 s x 0.02 + 0.50 = 2.50; after: 400 s x 0.01 (sales) + 0.50 = 4.50.
    assert (before.lifetime_handled_cost, after.lifetime_handled_cost) == (
        Decimal("2.50"),
        Decimal("4.50"),
    )
    assert [r.because for r in before.why_calling] == ["unresolved_call"]
    assert after.why_calling == []
    call_row = after.recent_interactions[0].call
    assert (call_row.queue, call_row.handled_seconds, call_row.corrections) == ("sales", 400, 1)


def test_a_correction_of_the_reason_ends_a_repeat(services):
    record(
        services,
        call("A", d(15), reason="bill"),
        call("B", d(18), reason="bill"),
        b.correction("B", "fx", occurred_at=d(18, 1), customer_ref="C1", reason="move"),
    )
    project(services, page_size=1)
    assert profile(services).repeat_contact is False


def test_every_window_includes_its_end(services):
    """A call exactly 7 days ago, a mailshot exactly 30 days ago and a follow-up exactly
    48 hours after a detractor reply all count (METRICS.md: "within" includes its end)."""
    record(
        services,
        b.campaign("spring"),
        call("A", AT - timedelta(days=14), reason="bill"),
        call("B", AT - timedelta(days=7), reason="bill"),  # repeat of A exactly 7 days later
        sent("M1", AT - timedelta(days=30), "spring", "post", "1.00"),
        survey("S1", AT - timedelta(hours=96), nps=2),
        call("F", AT - timedelta(hours=48), reason="other"),  # exactly 48 h after S1
        survey("S2", AT - timedelta(hours=49 + 48), nps=2),  # F comes 49 h after: expired
    )
    project(services)
    seen = profile(services)
    assert (seen.calls_in_repeat_window, seen.repeat_contact) == (2, True)
    assert seen.mailshots_last_30_days == 1
    assert seen.open_detractors == []
    assert [r.nps for r in seen.expired_detractors] == [2]
    assert seen.expired_detractors[0].occurred_at == AT - timedelta(hours=97)


def test_contact_pressure_over_the_cap(services):
    record(services, b.campaign("spring"))
    record(
        services,
        *(sent(f"M{i}", AT - timedelta(days=i * 6), "spring", "post", "1.00") for i in range(6)),
    )
    project(services)
    # Sent 0, 6, 12, 18, 24 and 30 days before AT: 6 within 30 days > cap 4.
    seen = profile(services)
    assert (seen.mailshots_last_30_days, seen.over_pressure_cap) == (6, True)
    roomy = profile(services, config=ViewConfig(pressure_cap=6))
    assert roomy.over_pressure_cap is False


def test_an_unknown_customer_ref_shows_an_unregistered_profile(services):
    record(services, b.call("c1", "NEW", occurred_at=d(19)))
    project(services)
    seen = profile(services, "NEW")
    assert (seen.registered, seen.name, seen.segment) == (False, None, None)
    assert seen.counts.phone == 1
    assert profile(services, "NOBODY") is None


def test_erasure_blanks_personal_data_in_the_view(services):
    record(
        services,
        b.customer("C1", occurred_at=d(2)),
        b.survey("S1", "C1", occurred_at=d(3), comment="rude agent", about=None),
    )
    runner = project(services)
    assert profile(services).name == "Customer C1"
    services.ledger.erase_customer("C1", "admin")
    # The key is gone before the view applies CustomerErased: already unreadable.
    early = profile(services)
    assert (early.name, early.email, early.personal_data) == (None, None, "erased")
    runner.catch_up("customer")
    erased = profile(services)
    assert (erased.name, erased.email, erased.phone, erased.personal_data) == (
        None,
        None,
        None,
        "erased",
    )
    assert erased.erased_at is not None
    assert erased.recent_interactions[0].survey.comment is None
    assert erased.counts.survey == 1  # the counts stay


def test_personal_data_is_withheld_without_a_key_source(services):
    record(services, b.customer("C1", occurred_at=d(2)))
    project(services)
    seen = profile(services, vault=False)
    assert (seen.name, seen.personal_data, seen.segment) == (None, "withheld", "retail")


def test_the_timeline_pages_by_position_cursor(services):
    record(services, *(call(f"c{i}", d(1 + i)) for i in range(7)))
    record(services, call("late", d(1, 12)))  # happened between c0 and c1, recorded last
    project(services)
    order = ["c6", "c5", "c4", "c3", "c2", "c1", "late", "c0"]
    with services.key_pool.connection() as conn:
        vault = services.ledger.vault
        first = timeline(conn, vault, "C1", limit=3)
        second = timeline(conn, vault, "C1", before=first.older, limit=3)
        third = timeline(conn, vault, "C1", before=second.older, limit=3)
        back = timeline(conn, vault, "C1", after=second.newer, limit=3)
        with pytest.raises(UnknownCursor):
            timeline(conn, vault, "OTHER", before=first.older)
    pages = [[i.source_id for i in page.items] for page in (first, second, third)]
    assert pages == [order[:3], order[3:6], order[6:]]
    assert (first.newer, third.older) == (None, None)
    assert [i.source_id for i in back.items] == order[:3]
    assert back.newer is None
