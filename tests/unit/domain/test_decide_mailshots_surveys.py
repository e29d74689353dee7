"""Rules of mailshots and survey replies, decided without a database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain import errors, ids
from domain import facts as f
from tests import builders as b
from tests.unit.fakes import FakeSession


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def planned(session) -> FakeSession:
    session.record(b.campaign())
    return session


def test_a_mailshot_for_an_unknown_campaign_is_refused(session):
    with pytest.raises(errors.UnknownCampaign) as refused:
        session.record(b.sent(campaign_id="never-planned"))
    assert refused.value.field == "campaign_id"


def test_a_control_group_member_of_an_unknown_campaign_is_refused(session):
    with pytest.raises(errors.UnknownCampaign):
        session.record(b.held_back(campaign_id="never-planned"))


def test_a_sent_mailshot_opens_its_own_stream_with_the_campaign_and_cost(planned):
    fact = planned.record(b.sent())
    assert isinstance(fact, f.MailshotSent)
    assert fact.originator_id == ids.mailshot_stream_id("print-house", "m-1")
    assert fact.originator_version == 1
    assert (fact.campaign_id, fact.channel, fact.unit_cost) == ("spring", "post", Decimal("0.85"))


def test_a_mailshot_with_a_negative_unit_cost_is_refused(planned):
    with pytest.raises(errors.NegativeAmount):
        planned.record(b.sent(unit_cost="-0.01"))


@pytest.mark.parametrize("follow_up", [b.delivered, b.bounced, b.responded, b.converted])
def test_an_event_of_an_unknown_mailshot_is_refused(planned, follow_up):
    with pytest.raises(errors.UnknownMailshot):
        planned.record(follow_up(mailshot_id="never-sent"))


@pytest.mark.parametrize("follow_up", [b.delivered, b.bounced])
def test_a_held_back_mailshot_cannot_be_delivered_or_bounce(planned, follow_up):
    planned.record(b.held_back())
    with pytest.raises(errors.HeldBackNotMailed):
        planned.record(follow_up())


@pytest.mark.parametrize("follow_up", [b.responded, b.converted])
def test_a_held_back_recipient_may_still_respond_or_convert(planned, follow_up):
    # That is what measures the campaign's true lift against its control group.
    planned.record(b.held_back())
    fact = planned.record(follow_up())
    assert fact.campaign_id == "spring"
    assert fact.originator_version == 2


@pytest.mark.parametrize("follow_up", [b.delivered, b.bounced, b.responded, b.converted])
def test_a_mailshot_event_before_the_send_is_refused(planned, follow_up):
    planned.record(b.sent())
    with pytest.raises(errors.MailshotEventBeforeSend):
        planned.record(follow_up(occurred_at=b.T0 - timedelta(seconds=1)))


def test_follow_ups_carry_the_campaign_of_the_send_and_extend_its_stream(planned):
    opened = planned.record(b.sent())
    follow_ups = [planned.record(cmd) for cmd in (b.delivered(), b.responded(), b.converted())]
    assert [x.originator_id for x in follow_ups] == [opened.originator_id] * 3
    assert [x.originator_version for x in follow_ups] == [2, 3, 4]
    assert {x.campaign_id for x in follow_ups} == {"spring"}
    assert follow_ups[2].value == Decimal("120.00")


def test_a_conversion_with_a_negative_value_is_refused(planned):
    planned.record(b.sent())
    with pytest.raises(errors.NegativeAmount):
        planned.record(b.converted(value="-5"))


@pytest.mark.parametrize(
    ("score", "value"),
    [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6), ("effort", 0), ("effort", 8)],
)
def test_a_score_out_of_range_is_refused(session, score, value):
    with pytest.raises(errors.ScoreOutOfRange) as refused:
        session.record(b.survey(about=None, **{score: value}))
    assert refused.value.field == score


@pytest.mark.parametrize(
    "scores", [{"nps": 0, "csat": 1, "effort": 1}, {"nps": 10, "csat": 5, "effort": 7}]
)
def test_scores_at_the_ends_of_their_ranges_are_accepted(session, scores):
    fact = session.record(b.survey(about=None, **scores))
    assert (fact.nps, fact.csat, fact.effort) == tuple(scores.values())


def test_a_survey_reply_without_any_score_is_refused(session):
    with pytest.raises(errors.NoScoreGiven):
        session.record(b.survey(about=None, nps=None, csat=None, effort=None))


def test_one_score_is_enough(session):
    fact = session.record(b.survey(about=None, nps=None, csat=None, effort=3))
    assert (fact.nps, fact.csat, fact.effort) == (None, None, 3)


def test_a_survey_about_an_unknown_interaction_is_refused(session):
    with pytest.raises(errors.UnknownInteraction) as refused:
        session.record(b.survey())
    assert refused.value.field == "about"


def test_a_survey_about_a_recorded_call_names_the_call_stream(session):
    session.record(b.call())
    fact = session.record(b.survey())
    assert isinstance(fact, f.SurveyReplied)
    assert fact.about_kind == "call"
    assert fact.about_id == ids.call_stream_id("acd", "call-1")


def test_a_survey_about_a_recorded_mailshot_names_the_mailshot_stream(planned):
    planned.record(b.sent())
    about = {"kind": "mailshot", "source": "print-house", "source_id": "m-1"}
    fact = planned.record(b.survey(about=about))
    assert fact.about_id == ids.mailshot_stream_id("print-house", "m-1")


def test_a_survey_comment_is_sealed(session):
    fact = session.record(b.survey(about=None, comment="Too slow"))
    assert fact.comment == "wols ooT"
