"""The storyline worth showing: a proactive fraud alert, the callback, a 10.

On the last day of the history the bank texts Margaret about a payment it thinks
is fraudulent; she calls back twenty minutes later, the cards agent stops the card
and reissues it on the spot (resolved, no transfer, eight seconds' wait), and she
scores the call 10 in the survey that follows.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from api.demo.mailshots import FRAUD_ALERTS
from api.demo.sim import Action
from api.demo.state import STORY_PHONE, Run
from api.demo.world import SOURCE_ACD, SOURCE_CRM, SOURCE_SURVEYS, Customer
from domain import commands as c

STORY_INDEX = 7
STORY_AGENT = "A-201"
ALERT_ID = "fa-story-1"
CALL_ID = "call-story-1"
REPLY_ID = "resp-story-1"
COMMENT = (
    "They texted me about a payment I hadn't made before I'd even noticed it. "
    "One call and the card was stopped and a new one on its way."
)


def story_index(customers: int) -> int:
    """Which customer the story is about (the 7th, or the last of a tiny demo)."""
    return min(STORY_INDEX, customers)


def cast(customer: Customer) -> None:
    """Margaret: a premier customer who allows texts (the alert needs them)."""
    customer.name = "Margaret Okafor"
    customer.email = "margaret.okafor@example.com"
    customer.phone = STORY_PHONE
    customer.segment = "premier"
    customer.consent = {"email": True, "sms": True, "post": True}
    customer.mood = 0.6
    customer.story = True


def schedule(run: Run, customer: Customer) -> None:
    """The alert, the callback and the survey, on the last morning of the history."""
    alert_at = run.moment(run.config.end - timedelta(days=1), 9 * 3600 + 12 * 60 + 4)
    ref = c.Ref(source=SOURCE_CRM, source_id=ALERT_ID)
    mine = {"source": SOURCE_CRM, "customer_ref": customer.ref}
    sent = c.RecordMailshotSent(
        occurred_at=alert_at, source_id=ALERT_ID, campaign_id=FRAUD_ALERTS, channel="sms",
        unit_cost=Decimal("0.045"), **mine,
    )  # fmt: skip
    delivered_at = alert_at + timedelta(seconds=5)
    delivered = c.RecordMailshotDelivered(
        occurred_at=delivered_at, source_id=f"{ALERT_ID}-d", mailshot=ref, **mine
    )
    call_at = alert_at + timedelta(minutes=19, seconds=36)
    call = c.RecordCall(
        occurred_at=call_at, offered_at=call_at, source=SOURCE_ACD, source_id=CALL_ID,
        customer_ref=customer.ref, queue="cards", agent_id=STORY_AGENT, reason="fraud-alert",
        wait_seconds=8, outcome="answered", talk_seconds=246, hold_seconds=0,
        after_call_work_seconds=64, resolved=True,
    )  # fmt: skip
    responded = c.RecordMailshotResponded(
        occurred_at=call_at, source_id=f"{ALERT_ID}-r", mailshot=ref, how="callback", **mine
    )
    reply_at = call_at + timedelta(hours=1, minutes=15, seconds=39)
    reply = c.RecordSurveyReply(
        occurred_at=reply_at, source=SOURCE_SURVEYS, source_id=REPLY_ID,
        customer_ref=customer.ref, survey_kind="transactional", nps=10, csat=5, effort=7,
        comment=COMMENT, about=c.InteractionRef(kind="call", source=SOURCE_ACD, source_id=CALL_ID),
    )  # fmt: skip
    customer.sends.append(alert_at)  # counts towards her contact pressure from then on
    for at, command in ((alert_at, sent), (delivered_at, delivered), (call_at, call)):
        run.clock.at(at, _emitter(run, command))
    run.clock.at(call_at, _emitter(run, responded))
    run.clock.at(reply_at, _emitter(run, reply))


def _emitter(run: Run, command: c.Command) -> Action:
    return lambda: run.clock.emit(command)
