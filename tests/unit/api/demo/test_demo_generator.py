"""The demo generator: a pure function of its configuration, realistic where the views look.

No database here: the generator only makes commands. Realism is checked as the
relations the views are meant to show (busy half hours wait longer, long waits and
repeats lower NPS...), never as exact figures.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest

from api.demo.history import DemoConfig, generate, generate_days
from api.demo.state import STORY_PHONE
from api.demo.story import ALERT_ID, CALL_ID, REPLY_ID
from api.demo.world import DRAMA_RANGES, PhoneBook, customer_ref
from domain import commands as c

TINY = DemoConfig(customers=60, months=2, seed=7, end=date(2026, 3, 1))
MEDIUM = DemoConfig(customers=3000, months=4, seed=42, end=date(2026, 6, 1))


@pytest.fixture(scope="module")
def history() -> list[c.Command]:
    return list(generate(MEDIUM))


def _dumped(config: DemoConfig) -> list[dict]:
    return [{"type": type(cmd).__name__, **cmd.model_dump(mode="json")} for cmd in generate(config)]


def _of(history, kind):
    return [cmd for cmd in history if isinstance(cmd, kind)]


def test_the_same_configuration_gives_the_same_history():
    assert _dumped(TINY) == _dumped(TINY)


def _digest_in_a_process(hash_seed: str) -> str:
    script = (
        "import hashlib, json, sys; from datetime import date; from api.demo.history import *; "
        "c = DemoConfig(customers=60, months=2, seed=7, end=date(2026, 3, 1)); "
        "print(hashlib.sha256(json.dumps([x.model_dump(mode='json') for x in generate(c)])"
        ".encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_same_configuration_gives_the_same_history_in_any_process():
    assert _digest_in_a_process("1") == _digest_in_a_process("2")


def test_another_seed_gives_another_history():
    other = DemoConfig(customers=TINY.customers, months=TINY.months, seed=8, end=TINY.end)
    assert _dumped(TINY) != _dumped(other)


def test_the_history_lies_before_the_configured_end_whatever_today_is():
    config = DemoConfig(customers=40, months=1, seed=1, end=date(2011, 5, 1))
    commands = list(generate(config))
    assert commands
    assert all(cmd.occurred_at < config.end_at for cmd in commands)
    calls = _of(commands, c.RecordCall)
    assert calls
    assert all(config.start_at <= call.occurred_at for call in calls)


def test_days_come_in_order_and_facts_in_time_order_within_each():
    days = list(generate_days(TINY))
    assert [day for day, _ in days] == sorted(day for day, _ in days)
    for _, commands in days[1:]:
        times = [cmd.occurred_at for cmd in commands]
        assert times == sorted(times)


def test_every_source_id_names_one_fact(history):
    keys = Counter((type(cmd).KIND, cmd.source, cmd.source_id) for cmd in history)
    assert max(keys.values()) == 1


def test_the_storyline_alert_callback_and_ten_on_the_last_morning(history):
    ref = customer_ref(7, MEDIUM.customers)
    mine = [cmd for cmd in history if getattr(cmd, "customer_ref", None) == ref]
    alert = next(cmd for cmd in mine if cmd.source_id == ALERT_ID)
    call = next(cmd for cmd in mine if cmd.source_id == CALL_ID)
    reply = next(cmd for cmd in mine if cmd.source_id == REPLY_ID)
    assert isinstance(alert, c.RecordMailshotSent)
    assert (alert.channel, alert.campaign_id) == ("sms", "fraud-alerts")
    assert alert.occurred_at.date() == MEDIUM.end - timedelta(days=1)
    assert isinstance(call, c.RecordCall)
    assert call.outcome == "answered"
    assert call.resolved
    assert alert.occurred_at < call.occurred_at <= alert.occurred_at + timedelta(hours=1)
    assert isinstance(reply, c.RecordSurveyReply)
    assert reply.nps == 10
    assert reply.about is not None
    assert reply.about.source_id == CALL_ID
    assert history.index(alert) < history.index(call) < history.index(reply)


def test_every_customer_has_a_phone_number_of_their_own(history):
    # Registrations and later changes of number together: never a number given twice, all
    # in Ofcom's drama ranges, Margaret's the storyline's.
    numbers = [cmd.phone for cmd in _of(history, c.RegisterCustomer)]
    numbers += [cmd.phone for cmd in _of(history, c.ChangeContactDetails) if cmd.phone]
    assert len(numbers) > MEDIUM.customers
    assert len(set(numbers)) == len(numbers)
    assert all(number.startswith(DRAMA_RANGES) for number in numbers)
    story = next(cmd for cmd in _of(history, c.RegisterCustomer) if cmd.customer_ref == "C-000007")
    assert story.phone == STORY_PHONE


def test_the_phone_book_is_the_same_for_a_seed_and_gives_every_number_before_repeating():
    book, again, other = PhoneBook(5, taken=(STORY_PHONE,)), PhoneBook(5), PhoneBook(6)
    first = [book.next() for _ in range(16_999)]
    assert len(set(first)) == 16_999  # 17 ranges of 1,000, less the storyline's number
    assert STORY_PHONE not in first
    assert book.next() == first[0]  # then the book starts again
    assert [again.next() for _ in range(3)] != [other.next() for _ in range(3)]


def test_campaigns_are_planned_with_their_purpose(history):
    purposes = {cmd.campaign_id: cmd.purpose for cmd in _of(history, c.PlanCampaign)}
    assert purposes["fraud-alerts"] == "alert"
    news = {p for cid, p in purposes.items() if cid.startswith("news-")}
    offers = {p for cid, p in purposes.items() if cid.startswith("cmp-")}
    assert (news, offers) == ({"newsletter"}, {"marketing"})


def test_mondays_are_busiest_and_sundays_quietest(history):
    per_weekday = Counter(call.occurred_at.weekday() for call in _of(history, c.RecordCall))
    assert per_weekday[0] > per_weekday[2] > per_weekday[5] > per_weekday[6]


def test_mid_morning_is_busier_than_opening_and_evening(history):
    per_hour = Counter(call.occurred_at.hour for call in _of(history, c.RecordCall))
    assert per_hour[10] > per_hour[8]
    assert per_hour[10] > per_hour[19]


def _busy_and_quiet(calls):
    """Calls in the busiest and the quietest quarter of (queue, half hour) intervals."""
    intervals = defaultdict(list)
    for call in calls:
        at = call.occurred_at
        intervals[(call.queue, at.date(), at.hour, at.minute // 30)].append(call)
    ranked = sorted(intervals.values(), key=len)
    quarter = len(ranked) // 4
    return [x for group in ranked[-quarter:] for x in group], [
        x for group in ranked[:quarter] for x in group
    ]


def test_waits_grow_when_a_queue_is_busy(history):
    busy, quiet = _busy_and_quiet(_of(history, c.RecordCall))
    answered_wait = lambda calls: statistics.mean(  # noqa: E731
        call.wait_seconds for call in calls if call.outcome == "answered"
    )
    assert answered_wait(busy) > 2 * answered_wait(quiet)


def test_more_callers_abandon_when_a_queue_is_busy(history):
    busy, quiet = _busy_and_quiet(_of(history, c.RecordCall))
    rate = lambda calls: sum(x.outcome == "abandoned" for x in calls) / len(calls)  # noqa: E731
    assert rate(busy) > rate(quiet)


def test_handle_times_are_skewed_with_a_long_tail(history):
    handled = [
        call.talk_seconds + call.hold_seconds + call.after_call_work_seconds
        for call in _of(history, c.RecordCall)
        if call.outcome == "answered"
    ]
    assert statistics.mean(handled) > 1.1 * statistics.median(handled)
    assert max(handled) > 4 * statistics.median(handled)


def test_some_calls_repeat_the_same_reason_within_a_week(history):
    last: dict[tuple[str, str], datetime] = {}
    repeats = 0
    for call in _of(history, c.RecordCall):
        key = (call.customer_ref, call.reason)
        if key in last and call.occurred_at - last[key] <= timedelta(days=7):
            repeats += 1
        if call.outcome == "answered":
            last[key] = call.occurred_at
    assert 0.03 < repeats / len(_of(history, c.RecordCall)) < 0.4


def test_campaigns_use_every_channel_with_control_groups_and_opt_outs(history):
    planned = {cmd.campaign_id: cmd.channel for cmd in _of(history, c.PlanCampaign)}
    assert set(planned.values()) == {"post", "email", "sms", "phone"}  # phone: telemarketing
    held_back = _of(history, c.RecordMailshotHeldBack)
    assert {planned[cmd.campaign_id] for cmd in held_back} == {"post", "email", "sms", "phone"}
    assert any(not cmd.granted for cmd in _of(history, c.ChangeMarketingConsent))


def test_response_and_conversion_rates_are_plausible_per_channel(history):
    channel = {cmd.source_id: cmd.channel for cmd in _of(history, c.RecordMailshotSent)}
    sent = Counter(channel.values())
    responded = Counter(
        channel[cmd.mailshot.source_id]
        for cmd in _of(history, c.RecordMailshotResponded)
        if cmd.mailshot.source_id in channel
    )
    for name in ("post", "email", "sms"):
        assert 0.003 < responded[name] / sent[name] < 0.08, name
    # Telemarketing: about half the dials reach someone, about 11 % of them agree.
    assert 0.02 < responded["phone"] / sent["phone"] < 0.15
    conversions = len(_of(history, c.RecordMailshotConverted))
    assert 0.1 < conversions / sum(responded.values()) < 0.6


def _nps(replies):
    scores = [reply.nps for reply in replies]
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def _replies_about_calls(history):
    calls = {call.source_id: call for call in _of(history, c.RecordCall)}
    return [
        (reply, calls[reply.about.source_id])
        for reply in _of(history, c.RecordSurveyReply)
        if reply.about is not None and reply.about.kind == "call" and reply.nps is not None
    ]


def test_long_waits_lower_nps(history):
    pairs = _replies_about_calls(history)
    short = [reply for reply, call in pairs if call.wait_seconds <= 20]
    long = [reply for reply, call in pairs if call.wait_seconds > 60]
    assert len(long) >= 10
    assert _nps(long) < _nps(short) - 10


def test_unresolved_calls_lower_nps(history):
    pairs = _replies_about_calls(history)
    resolved = [reply for reply, call in pairs if call.resolved]
    unresolved = [reply for reply, call in pairs if not call.resolved]
    assert _nps(unresolved) < _nps(resolved) - 20


def test_high_mailshot_pressure_lowers_nps(history):
    sends = defaultdict(list)
    for cmd in _of(history, c.RecordMailshotSent):
        sends[cmd.customer_ref].append(cmd.occurred_at)
    pressed: list[c.RecordSurveyReply] = []
    spared: list[c.RecordSurveyReply] = []
    for reply in _of(history, c.RecordSurveyReply):
        window = reply.occurred_at - timedelta(days=30)
        count = sum(window <= at <= reply.occurred_at for at in sends[reply.customer_ref])
        (pressed if count >= 3 else spared if count <= 1 else []).append(reply)
    assert len(pressed) >= 10
    assert _nps(pressed) < _nps(spared) - 10


def test_surveys_follow_calls_and_mailshots_and_some_are_relationship_surveys(history):
    replies = _of(history, c.RecordSurveyReply)
    kinds = Counter(reply.about.kind if reply.about else reply.survey_kind for reply in replies)
    assert kinds["call"] > kinds["mailshot"] > 0
    assert kinds["relationship"] > 0


def test_sizes_outside_the_limits_are_refused():
    with pytest.raises(ValueError, match="customers"):
        DemoConfig(customers=0)
    with pytest.raises(ValueError, match="months"):
        DemoConfig(months=61)


def test_mailed_customers_respond_more_than_the_control_group():
    """The campaigns have a positive lift: the held-back group responds, but less (a history
    large enough for a control group of a few thousand)."""
    history = list(generate(DemoConfig(customers=12_000, months=3, seed=42, end=MEDIUM.end)))
    mailed = {
        cmd.source_id
        for cmd in _of(history, c.RecordMailshotSent)
        if cmd.campaign_id.startswith("cmp-")
    }
    control = {cmd.source_id for cmd in _of(history, c.RecordMailshotHeldBack)}
    responders = {cmd.mailshot.source_id for cmd in _of(history, c.RecordMailshotResponded)}
    mailed_rate = len(mailed & responders) / len(mailed)
    control_rate = len(control & responders) / len(control)
    assert len(control & responders) >= 10
    assert 0 < control_rate < mailed_rate
