"""One CSV row -> the commands it records, per mapping kind (calls, surveys, mailshots).

A builder returns ``[]`` for a row the mapping says to skip (test or phantom calls,
rows outside the campaign) and raises ``BadRow`` for a row it cannot read. What the
domain refuses (a score out of range, a call that was never recorded) is refused
later by the ledger, and reported the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from api.importers import fields as f
from api.importers.callers import Resolver
from api.importers.mapping import CallMapping, MailshotMapping, ResponseMapping, SurveyMapping
from api.importers.moments import later_than
from api.importers.sends import SendListBuilder
from api.storage.blind_index import CALLER_PREFIX
from domain import commands as c

__all__ = ["AnyMapping", "Builder", "Resolver", "anonymous_caller", "builder"]

Builder = Callable[[f.Row], list[c.Command]]
AnyMapping = CallMapping | SurveyMapping | MailshotMapping | ResponseMapping
_ANONYMOUS_HEX = 20  # as long as a caller token's reference (U- and 20 hex digits)


def builder(mapping: AnyMapping, resolve: Resolver | None = None) -> Builder:
    """The row builder of ``mapping``'s kind (``resolve``: calls' numbers, if mapped)."""
    if isinstance(mapping, CallMapping):
        return lambda row: call_commands(mapping, row, resolve)
    if isinstance(mapping, SurveyMapping):
        return lambda row: survey_commands(mapping, row)
    if isinstance(mapping, MailshotMapping):
        return SendListBuilder(mapping)
    return lambda row: response_commands(mapping, row)


# --- calls ------------------------------------------------------------------------------


def call_commands(m: CallMapping, row: f.Row, resolve: Resolver | None = None) -> list[c.Command]:
    """A ``RecordCall``, its durations taken as given or derived from its timestamps."""
    outcome = m.outcome.meaning(row)
    if outcome == "skip":
        return []
    if outcome not in ("answered", "abandoned"):
        raise f.BadRow(
            f"{f.named(m.outcome)}: the mapping maps to {outcome!r}, not answered/abandoned"
        )
    offered = m.moment(row, m.offered)
    durations = _durations(m, row, offered, outcome == "answered")
    reason = f.text(row, m.reason) if m.reason else ""
    source_id = f.source_id(row, m.id, m.id_separator)
    return [
        c.RecordCall(
            occurred_at=offered, offered_at=offered, source=m.source, source_id=source_id,
            customer_ref=_caller(m, row, resolve, source_id),
            queue=f.required_text(row, m.queue), agent_id=_agent(m, row),
            reason=reason or m.default_reason, outcome=outcome,
            resolved=_flag(m.resolved, row), transferred=_flag(m.transferred, row), **durations,
        )
    ]  # fmt: skip


def _one_of(written: str, codes: list[str]) -> bool:
    return written.casefold() in {code.strip().casefold() for code in codes}


def _agent(m: CallMapping, row: f.Row) -> str | None:
    """The row's agent; None when empty or a placeholder meaning no agent (``no_agent``)."""
    agent = f.text(row, m.agent_id) if m.agent_id is not None else ""
    return None if not agent or _one_of(agent, m.no_agent) else agent


def _caller(m: CallMapping, row: f.Row, resolve: Resolver | None, source_id: str) -> str:
    """The row's customer reference, else the one its caller's number resolves to, else
    (a customer value meaning unknown) an unidentified caller of this call alone."""
    ref = f.text(row, m.customer_ref) if m.customer_ref is not None else ""
    unknown = _one_of(ref, m.unknown_customer)
    if ref and not unknown:
        return ref
    number = f.value(row, m.caller_number) if m.caller_number else ""
    if number:
        return _resolved(m, number, resolve)
    if unknown:
        return anonymous_caller(m.source, source_id)
    if m.caller_number is None:
        return f.required_text(row, m.customer_ref or "")
    return f.required(row, m.caller_number)


def _resolved(m: CallMapping, number: str, resolve: Resolver | None) -> str:
    if resolve is None:
        raise f.BadRow(f"{m.caller_number}: caller numbers need the index key")
    resolved = resolve(number)
    if resolved is None:
        raise f.BadRow(f"{m.caller_number}: not a phone number")
    return resolved


def anonymous_caller(source: str, source_id: str) -> str:
    """The unidentified caller of one call whose customer is unknown and number absent.

    One per call (not one pseudo-customer with every unknown caller's calls), derived
    from the call's own ids so that importing the file again names the same one.
    """
    digest = hashlib.sha256(f"{source}\x1f{source_id}".encode()).hexdigest()
    return CALLER_PREFIX + digest[:_ANONYMOUS_HEX].upper()


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
    end = later_than(offered, m.moment(row, until), until)
    return f.between(offered, end, "wait")


def _derived_talk(m: CallMapping, row: f.Row, offered: datetime, hold: int) -> int:
    if m.answered is None or m.ended is None:
        raise f.BadRow("no talk time: the mapping gives neither durations.talk nor answered+ended")
    start = later_than(offered, m.moment(row, m.answered), m.answered)
    end = later_than(start, m.moment(row, m.ended), m.ended)
    return f.between(start, end, "talk") - hold


def _non_negative(seconds: int, what: str) -> int:
    if seconds < 0:
        raise f.BadRow(f"{what}: negative ({seconds} s)")
    return seconds


def _flag(coded: f.Coded | None, row: f.Row) -> bool:
    if coded is None or (coded.column is not None and not f.value(row, coded.column)):
        return False
    return coded.meaning(row) == "true"


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
            occurred_at=m.moment(row, m.replied), source=m.source,
            source_id=f.source_id(row, m.id, m.id_separator),
            customer_ref=f.required_text(row, m.customer_ref), survey_kind=kind,
            nps=f.score(row, m.nps), csat=f.score(row, m.csat), effort=f.score(row, m.effort),
            comment=comment or None, about=about,
        )
    ]  # fmt: skip


# --- responses --------------------------------------------------------------------------


def response_commands(m: ResponseMapping, row: f.Row) -> list[c.Command]:
    """A response to a mailshot, and a conversion when the row carries a value."""
    mailshot = c.Ref(
        source=m.mailshot_source, source_id=f.source_id(row, m.mailshot_id, m.id_separator)
    )
    responded = m.moment(row, m.responded)
    own = f.source_id(row, m.id, m.id_separator)
    common = {"occurred_at": responded, "source": m.source, "mailshot": mailshot}
    common["customer_ref"] = f.required_text(row, m.customer_ref)
    how = (f.text(row, m.how) if m.how else "") or m.default_how
    commands: list[c.Command] = [c.RecordMailshotResponded(**common, source_id=f"{own}-r", how=how)]
    value = f.money(row, m.value)
    if value:
        commands.append(c.RecordMailshotConverted(**common, source_id=f"{own}-c", value=value))
    return commands
