"""Outbound mailshots: campaigns by post, e-mail and SMS, newsletters and fraud alerts.

Marketing campaigns go to a share of the customers who may be contacted on their
channel (consent), biased towards the segments they suit, with a control group
held back. Recipients respond at channel-typical rates (lower under high contact
pressure), some convert, a few opt out, and some phone in about the offer. Fraud
alerts are service SMS: most recipients call back within the hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from api.demo.calls import Centre
from api.demo.mailshots import CHANNEL_COSTS, CONTROL_SHARE, FRAUD_ALERTS, Campaign, send_one
from api.demo.sim import Action
from api.demo.state import Run
from api.demo.world import SOURCE_CRM, Customer
from domain import commands as c

CATALOGUE = (  # name, channel, favoured segments, conversion value range
    ("Spring savings boost", "email", ("everyday", "premier"), (50, 400)),
    ("Credit card upgrade", "post", ("everyday", "premier"), (80, 300)),
    ("Mortgage rate switch", "post", ("premier",), (400, 1500)),
    ("Travel money offer", "email", ("everyday", "student"), (20, 120)),
    ("New app features", "sms", ("student", "everyday"), (5, 40)),
    ("Premier account upgrade", "post", ("premier",), (200, 900)),
    ("ISA season", "email", ("premier", "everyday"), (100, 800)),
    ("Home insurance quote", "email", ("everyday", "premier"), (120, 450)),
    ("Personal loan rate", "sms", ("everyday", "business"), (150, 600)),
    ("Student perks", "sms", ("student",), (10, 60)),
    ("Business banking review", "post", ("business",), (300, 1200)),
    ("Rewards cashback", "email", ("everyday", "student", "premier"), (15, 90)),
)


def plan(run: Run) -> list[Campaign]:
    """Three campaigns a month from the catalogue, a fortnightly newsletter, fraud alerts."""
    campaigns: list[Campaign] = []
    order = list(CATALOGUE)
    run.rng.shuffle(order)
    start, end = run.config.start_at, run.config.end_at
    month, turn = start.replace(day=1), 0
    while month < end:
        for _ in range(3):
            name, channel, favoured, values = order[turn % len(order)]
            turn += 1
            at = _send_time(run, month, channel)
            if start <= at < end - timedelta(days=1):
                slug = name.lower().replace(" ", "-")
                cid = f"cmp-{at:%Y%m}-{slug}"
                share = run.rng.uniform(0.12, 0.3)
                campaigns.append(
                    Campaign(cid, name, channel, at, share, favoured, values, CONTROL_SHARE)
                )
        month = (month + timedelta(days=32)).replace(day=1)
    return campaigns + _newsletters(run) + _telemarketing(run)


def _send_time(run: Run, month: datetime, channel: str) -> datetime:
    day = month + timedelta(days=run.rng.randrange(27))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    hour = {"post": 7, "email": 10, "sms": 12, "phone": 11}[channel]
    return day.replace(hour=hour, minute=run.rng.randrange(60))


def _telemarketing(run: Run) -> list[Campaign]:
    """A telemarketing campaign (channel phone) every quarter, from the second week on,
    with a control group: the call list is dialled, about half are reached."""
    found, at = [], _send_time(run, run.config.start_at + timedelta(days=7), "phone")
    while at < run.config.end_at - timedelta(days=1):
        cid = f"tm-{at:%Y%m}-insurance-review"
        review = Campaign(
            cid, "Insurance review calls", "phone", at, 0.5, ("everyday", "premier"),
            (120, 450), CONTROL_SHARE,
        )  # fmt: skip
        found.append(review)
        at = _send_time(run, at + timedelta(days=91), "phone")
    return found


def _newsletters(run: Run) -> list[Campaign]:
    found, at = [], run.config.start_at + timedelta(days=3, hours=9)
    while at < run.config.end_at - timedelta(days=1):
        cid = f"news-{at:%Y%m%d}"
        name = f"Money tips {at:%d %b %Y}"
        news = Campaign(cid, name, "email", at, 1.0, (), (5, 30), 0.0, True, "newsletter")
        found.append(news)
        at += timedelta(days=14)
    return found


def schedule(run: Run, centre: Centre, campaigns: list[Campaign]) -> None:
    """Plan every campaign a week before its send, and the sends themselves."""
    first = run.config.start_at - timedelta(days=30)
    alerts = Campaign(
        FRAUD_ALERTS, "Fraud alerts", "sms", first, 0.0, (), (0, 0), 0.0, purpose="alert"
    )
    run.clock.at(first, _planner(run, alerts, Decimal(0), first))
    for campaign in campaigns:
        planned = campaign.send_at - timedelta(days=7)
        fixed = CHANNEL_COSTS[campaign.channel][0] / (8 if campaign.newsletter else 1)
        run.clock.at(planned, _planner(run, campaign, fixed, planned))
        run.clock.at(campaign.send_at, _sender(run, centre, campaign))


def _planner(run: Run, campaign: Campaign, fixed: Decimal, at: datetime) -> Action:
    command = c.PlanCampaign(
        occurred_at=at,
        source=SOURCE_CRM,
        source_id=campaign.campaign_id,
        campaign_id=campaign.campaign_id,
        name=campaign.name,
        channel=campaign.channel,
        fixed_cost=fixed,
        attribution_window_days=30,
        purpose=campaign.purpose,
    )
    return lambda: run.clock.emit(command)


def _sender(run: Run, centre: Centre, campaign: Campaign) -> Action:
    def send() -> None:
        for customer in list(run.customers):
            if _picked(run, customer, campaign):
                send_one(run, centre, campaign, customer)

    return send


def _picked(run: Run, customer: Customer, campaign: Campaign) -> bool:
    if not customer.consent.get(campaign.channel) or customer.since > campaign.send_at:
        return False
    if campaign.newsletter:
        return customer.index % 4 == 0
    bias = 1.0 if customer.segment in campaign.favoured else 0.25
    return run.rng.random() < min(1.0, campaign.share * bias * 2)
