"""One CSV row -> the commands it records, per mapping kind (calls, surveys, mailshots).

A builder returns ``[]`` for a row the mapping says to skip (test or phantom calls,
rows outside the campaign) and raises ``BadRow`` for a row it cannot read. What the
domain refuses (a score out of range, a call that was never recorded) is refused
later by the ledger, and reported the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from api.importers import fields as f
from api.importers.mapping import CallMapping, MailshotMapping, ResponseMapping, SurveyMapping
from domain import commands as c

Builder = Callable[[f.Row], list[c.Command]]
Resolver = Callable[[str], str | None]
"""A caller's number -> the customer reference its call is recorded for (None: no number)."""
AnyMapping = CallMapping | SurveyMapping | MailshotMapping | ResponseMapping


def builder(mapping: AnyMapping, resolve: Resolver | None = None) -> Builder:
    """The row builder of ``mapping``'s kind (``resolve``: calls' numbers, if mapped)."""
    if isinstance(mapping, CallMapping):
        return lambda row: call_commands(mapping, row, resolve)
    if isinstance(mapping, SurveyMapping):
        return lambda row: survey_commands(mapping, row)
    if isinstance(mapping, MailshotMapping):
        return MailshotBuilder(mapping)
    return lambda row: response_commands(mapping, row)


# --- calls ------------------------------------------------------------------------------


def call_commands(m: CallMapping, row: f.Row, resolve: Resolver | None = None) -> list[c.Command]:
    """A ``RecordCall``, its durations taken as given or derived from its timestamps."""
    outcome = m.outcome.meaning(row)
    if outcome == "skip":
        return []
    if outcome not in ("answered", "abandoned"):
        raise f.BadRow(
            f"{m.outcome.column}: the mapping maps to {outcome!r}, not answered/abandoned"
        )
    offered = f.moment(row, m.offered, m.zone)
    durations = _durations(m, row, offered, outcome == "answered")
    reason = f.value(row, m.reason) if m.reason else ""
    return [
        c.RecordCall(
            occurred_at=offered, offered_at=offered, source=m.source,
            source_id=f.source_id(row, m.id, m.id_separator),
            customer_ref=_caller(m, row, resolve), queue=f.required(row, m.queue),
            agent_id=(f.value(row, m.agent_id) or None) if m.agent_id else None,
            reason=reason or m.default_reason, outcome=outcome,
            resolved=_flag(m.resolved, row), transferred=_flag(m.transferred, row), **durations,
        )
    ]  # fmt: skip


def _caller(m: CallMapping, row: f.Row, resolve: Resolver | None) -> str:
    """The row's customer reference, else the one its caller's number resolves to."""
    ref = f.value(row, m.customer_ref) if m.customer_ref else ""
    if ref or m.caller_number is None:
        return ref or f.required(row, m.customer_ref or "")
    number = f.required(row, m.caller_number)
    if resolve is None:
        raise f.BadRow(f"{m.caller_number}: caller numbers need the index key")
    resolved = resolve(number)
    if resolved is None:
        raise f.BadRow(f"{m.caller_number}: not a phone number")
    return resolved


def _durations(m: CallMapping, row: f.Row, offered: datetime, answered: bool) -> dict[str, int]:
    given = m.durations
    hold = f.seconds(row, given.hold) if given.hold and answered else 0
    acw = f.seconds(row, given.after_call_work) if given.after_call_work and answered else 0
    wait = f.seconds(row, given.wait) if given.wait else _derived_wait(m, row, offered, answered)
    if not answered:
        return {"wait_seconds": _non_negative(wait, "wait")}
    talk = f.seconds(row, given.talk) if given.talk else _derived_talk(m, row, offered, hold)
    return {
        "wait_seconds": _non_negative(wait, "wait"),
        "talk_seconds": _non_negative(talk, "talk"),
        "hold_seconds": _non_negative(hold, "hold"),
        "after_call_work_seconds": _non_negative(acw, "after-call work"),
    }


def _derived_wait(m: CallMapping, row: f.Row, offered: datetime, answered: bool) -> int:
    until = m.answered if answered else m.left_queue
    if until is None:
        what = "answered" if answered else "left_queue"
        raise f.BadRow(f"no wait: the mapping gives neither durations.wait nor {what}")
    end = f.later_than(offered, f.moment(row, until, m.zone), until)
    return f.between(offered, end, "wait")


def _derived_talk(m: CallMapping, row: f.Row, offered: datetime, hold: int) -> int:
    if m.answered is None or m.ended is None:
        raise f.BadRow("no talk time: the mapping gives neither durations.talk nor answered+ended")
    start = f.later_than(offered, f.moment(row, m.answered, m.zone), m.answered)
    end = f.later_than(start, f.moment(row, m.ended, m.zone), m.ended)
    return f.between(start, end, "talk") - hold


def _non_negative(seconds: int, what: str) -> int:
    if seconds < 0:
        raise f.BadRow(f"{what}: negative ({seconds} s)")
    return seconds


def _flag(coded: f.Coded | None, row: f.Row) -> bool:
    return coded is not None and bool(f.value(row, coded.column)) and coded.meaning(row) == "true"


# --- surveys ----------------------------------------------------------------------------


def survey_commands(m: SurveyMapping, row: f.Row) -> list[c.Command]:
    """A ``RecordSurveyReply``, about a call when the mapping names the call's id columns."""
    kind = m.survey_kind.meaning(row) if m.survey_kind else m.default_survey_kind
    if kind == "skip":
        return []
    about = None
    if m.about is not None and any(f.value(row, column) for column in m.about.call_id):
        call = f.source_id(row, m.about.call_id, m.about.separator)
        about = c.InteractionRef(kind="call", source=m.about.source, source_id=call)
    comment = f.value(row, m.comment) if m.comment else ""
    return [
        c.RecordSurveyReply(
            occurred_at=f.moment(row, m.replied, m.zone), source=m.source,
            source_id=f.source_id(row, m.id, m.id_separator),
            customer_ref=f.required(row, m.customer_ref), survey_kind=kind,
            nps=f.score(row, m.nps), csat=f.score(row, m.csat), effort=f.score(row, m.effort),
            comment=comment or None, about=about,
        )
    ]  # fmt: skip


# --- mailshots --------------------------------------------------------------------------


class MailshotBuilder:
    """Send lists: a send or a hold-back per row; plans each new campaign first if asked."""

    def __init__(self, mapping: MailshotMapping) -> None:
        self.m = mapping
        self.planned: set[str] = set()

    def __call__(self, row: f.Row) -> list[c.Command]:
        m = self.m
        group = m.group.meaning(row)
        if group == "skip":
            return []
        campaign, channel = f.required(row, m.campaign_id), m.channel.meaning(row)
        sent = f.moment(row, m.sent, m.zone)
        common = {
            "occurred_at": sent, "source": m.source, "campaign_id": campaign, "channel": channel,
            "customer_ref": f.required(row, m.customer_ref),
            "source_id": f.source_id(row, m.id, m.id_separator),
        }  # fmt: skip
        if group == "control":
            opening: c.Command = c.RecordMailshotHeldBack(**common)
        elif group == "mailed":
            unit_cost = f.money(row, m.unit_cost) or Decimal(0)
            opening = c.RecordMailshotSent(**common, unit_cost=unit_cost)
        else:
            raise f.BadRow(f"{m.group.column}: the mapping maps to {group!r}, not mailed/control")
        return [*self._plan(row, campaign, channel, sent), opening]

    def _plan(self, row: f.Row, campaign: str, channel: str, at: datetime) -> list[c.Command]:
        spec = self.m.plan_campaigns
        if spec is None or campaign in self.planned:
            return []
        self.planned.add(campaign)
        name = (f.value(row, spec.name_column) if spec.name_column else "") or campaign
        try:
            fixed = Decimal(spec.fixed_cost)
        except InvalidOperation as error:
            raise f.BadRow(
                f"plan_campaigns.fixed_cost: not an amount: {spec.fixed_cost!r}"
            ) from error
        return [
            c.PlanCampaign(
                occurred_at=at, source=self.m.source, source_id=campaign, campaign_id=campaign,
                name=name, channel=channel, fixed_cost=fixed,
                attribution_window_days=spec.attribution_window_days,
            )
        ]  # fmt: skip


def response_commands(m: ResponseMapping, row: f.Row) -> list[c.Command]:
    """A response to a mailshot, and a conversion when the row carries a value."""
    mailshot = c.Ref(
        source=m.mailshot_source, source_id=f.source_id(row, m.mailshot_id, m.id_separator)
    )
    responded = f.moment(row, m.responded, m.zone)
    own = f.source_id(row, m.id, m.id_separator)
    common = {"occurred_at": responded, "source": m.source, "mailshot": mailshot}
    common["customer_ref"] = f.required(row, m.customer_ref)
    how = (f.value(row, m.how) if m.how else "") or m.default_how
    commands: list[c.Command] = [c.RecordMailshotResponded(**common, source_id=f"{own}-r", how=how)]
    value = f.money(row, m.value)
    if value:
        commands.append(c.RecordMailshotConverted(**common, source_id=f"{own}-c", value=value))
    return commands
