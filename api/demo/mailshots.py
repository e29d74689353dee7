"""One mailshot to one customer, and everything that follows it.

A recipient is mailed or, in a control group, held back. A mailed one may bounce;
e-mail and SMS are confirmed delivered. Responses come at channel-typical rates,
lower for customers who were mailed a lot in the last 30 days; a share of
responders convert, some phone in about the offer, and a few opt out of the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from api.demo.calls import CallRequest, Centre
from api.demo.state import Run
from api.demo.surveys import after_mailshot
from api.demo.world import REASON, SOURCE_CRM, Customer
from domain import commands as c

CHANNEL_COSTS = {  # channel: (fixed cost, unit cost)
    "post": (Decimal("2500"), Decimal("0.68")),
    "email": (Decimal("300"), Decimal("0.003")),
    "sms": (Decimal("400"), Decimal("0.045")),
    "phone": (Decimal("1200"), Decimal("1.40")),  # a call list, agents' time per dial
}
# Phone (telemarketing, DESIGN.md): sent = dialled, delivered = reached, bounced = not
# reached; a reached customer agrees (responds) on the call itself, at the dial's instant.
RESPONSE = {"post": 0.022, "email": 0.03, "sms": 0.02, "phone": 0.11}  # per delivered
RESPONSE_DAYS = {"post": 6.0, "email": 2.0, "sms": 1.0, "phone": 3.0}  # mean delay (held back)
BOUNCE = {"post": 0.008, "email": 0.03, "sms": 0.02, "phone": 0.45}
OPT_OUT = {"post": 0.001, "email": 0.004, "sms": 0.007, "phone": 0.012}
HOW = {"post": "phoned", "email": "clicked", "sms": "replied", "phone": "agreed on the call"}
NOT_DELIVERED = {
    "post": "returned to sender", "email": "mailbox unknown", "sms": "unreachable",
    "phone": "no answer",
}  # fmt: skip
CONTROL_SHARE = 0.1
ORGANIC = 0.25  # the control group still responds, by other routes, at this fraction
CONVERSION = 0.3  # of responders
FRAUD_ALERTS = "fraud-alerts"


@dataclass(frozen=True)
class Campaign:
    """A planned campaign and how it is sent."""

    campaign_id: str
    name: str
    channel: str
    send_at: datetime
    share: float  # chance a favoured, contactable customer is picked
    favoured: tuple[str, ...]
    values: tuple[int, int]  # range of a conversion's value
    control: float  # share held back
    newsletter: bool = False
    purpose: c.Purpose = "marketing"  # alert, service, marketing or newsletter


def send_one(run: Run, centre: Centre, campaign: Campaign, customer: Customer) -> None:
    """Mail ``customer`` (or hold them back) and schedule what follows."""
    at, ref = campaign.send_at, c.Ref(source=SOURCE_CRM, source_id=run.next_id("ms"))
    common = {"occurred_at": at, "source": ref.source, "source_id": ref.source_id}
    common |= {"customer_ref": customer.ref, "campaign_id": campaign.campaign_id}
    common |= {"channel": campaign.channel}
    if run.rng.random() < campaign.control:
        run.clock.emit(c.RecordMailshotHeldBack(**common))
        _respond(run, campaign, customer, ref, RESPONSE[campaign.channel] * ORGANIC)
        return
    unit_cost = CHANNEL_COSTS[campaign.channel][1]
    run.clock.emit(c.RecordMailshotSent(**common, unit_cost=unit_cost))
    pressure = customer.pressure(at)
    customer.forget_before(at)
    customer.sends.append(at)
    if _delivered(run, campaign.channel, customer, ref, at):
        chance = (
            RESPONSE[campaign.channel] * customer.responsiveness / (1 + 0.3 * max(0, pressure - 1))
        )
        scale = 0.4 if campaign.newsletter else 1.0
        _respond(
            run, campaign, customer, ref, chance * scale, on_the_call=campaign.channel == "phone"
        )
        _maybe_opt_out(run, campaign.channel, customer, at, pressure)
        _maybe_phone(run, centre, customer, at)


def _delivered(run: Run, channel: str, customer: Customer, ref: c.Ref, at: datetime) -> bool:
    follow = {"source": SOURCE_CRM, "source_id": "", "customer_ref": customer.ref, "mailshot": ref}
    if run.rng.random() < BOUNCE[channel]:
        later = at + (timedelta(days=run.rng.uniform(4, 9)) if channel == "post" else _minutes(run))
        bounce = {**follow, "source_id": f"{ref.source_id}-b", "reason": NOT_DELIVERED[channel]}
        run.clock.at(
            later, lambda: run.clock.emit(c.RecordMailshotBounced(occurred_at=later, **bounce))
        )
        return False
    if channel != "post":  # no receipts for letters: delivered = sent - bounced
        later = at + _minutes(run)
        receipt = {**follow, "source_id": f"{ref.source_id}-d"}
        run.clock.at(
            later, lambda: run.clock.emit(c.RecordMailshotDelivered(occurred_at=later, **receipt))
        )
    return True


def _minutes(run: Run) -> timedelta:
    return timedelta(seconds=run.rng.uniform(3, 600))


def _respond(
    run: Run,
    campaign: Campaign,
    customer: Customer,
    ref: c.Ref,
    chance: float,
    *,
    on_the_call: bool = False,
) -> None:
    if run.rng.random() >= chance:
        return
    mean_days = RESPONSE_DAYS[campaign.channel]
    at = campaign.send_at  # a reached customer agrees on the call itself (telemarketing)
    if not on_the_call:
        at += timedelta(days=run.rng.expovariate(1 / mean_days), minutes=5)
    follow = {"source": SOURCE_CRM, "customer_ref": customer.ref, "mailshot": ref}
    how = HOW[campaign.channel]
    response = c.RecordMailshotResponded(
        occurred_at=at, source_id=f"{ref.source_id}-r", how=how, **follow
    )
    run.clock.at(at, lambda: run.clock.emit(response))
    if run.rng.random() < CONVERSION:
        later = at + timedelta(days=run.rng.uniform(0, 7))
        value = Decimal(run.rng.randint(*campaign.values)) + Decimal(run.rng.randrange(100)) / 100
        converted = c.RecordMailshotConverted(
            occurred_at=later, source_id=f"{ref.source_id}-c", value=value, **follow
        )
        run.clock.at(later, lambda: run.clock.emit(converted))
    if not campaign.newsletter and run.rng.random() < 0.05:
        after_mailshot(run, customer, ref.source_id, at + timedelta(days=run.rng.uniform(1, 3)))


def _maybe_opt_out(run: Run, channel: str, customer: Customer, at: datetime, pressure: int) -> None:
    chance = OPT_OUT[channel] * (1 + 0.6 * max(0, pressure - 2))
    if customer.story or run.rng.random() >= chance:
        return
    later = at + timedelta(days=run.rng.uniform(0.1, 5))

    def opt_out() -> None:
        if customer.consent[channel]:
            customer.consent[channel] = False
            run.clock.emit(
                c.ChangeMarketingConsent(
                    occurred_at=later, source="preferences", source_id=run.next_id("pref"),
                    customer_ref=customer.ref, channel=channel, granted=False,
                )
            )  # fmt: skip

    run.clock.at(later, opt_out)


def _maybe_phone(run: Run, centre: Centre, customer: Customer, at: datetime) -> None:
    """Some recipients ring the sales line about the offer within the week."""
    if run.rng.random() < 0.008:
        later = at + timedelta(days=run.rng.uniform(0.05, 6))
        centre.call_at(later, CallRequest(customer, REASON["offer-query"]))


def fraud_alert(run: Run, centre: Centre, customer: Customer, at: datetime) -> None:
    """A proactive fraud-alert SMS; most customers call back within the hour."""
    ref = c.Ref(source=SOURCE_CRM, source_id=run.next_id("fa"))
    common = {"source": SOURCE_CRM, "customer_ref": customer.ref}
    run.clock.emit(
        c.RecordMailshotSent(
            occurred_at=at, source_id=ref.source_id, campaign_id=FRAUD_ALERTS, channel="sms",
            unit_cost=CHANNEL_COSTS["sms"][1], **common,
        )
    )  # fmt: skip
    customer.forget_before(at)
    customer.sends.append(at)
    if _delivered(run, "sms", customer, ref, at) and run.rng.random() < 0.72:
        back = at + timedelta(minutes=run.rng.uniform(4, 55))
        reply = c.RecordMailshotResponded(
            occurred_at=back, source_id=f"{ref.source_id}-r", how="callback", mailshot=ref, **common
        )
        run.clock.at(back, lambda: run.clock.emit(reply))
        centre.call_at(back, CallRequest(customer, REASON["fraud-alert"]))
