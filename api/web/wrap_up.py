"""Calls wrapped up by an agent: their identity from the key, their reason from the list.

A key of role ``agent`` is one person at a desktop. What it records about a call
names that person: ``agent_id`` is the key's name (filled in when left out, 422
``agent-mismatch`` when it names someone else), and ``reason`` is a code of the
centre's list in force (422 ``unlisted-reason`` unless the list allows free text).
Integrators and importers are not held to either: an ACD feed names every agent of
the centre, and historical data keeps the codes it had.
"""

from __future__ import annotations

from pydantic import ValidationError

from api.storage.keys import Principal
from domain import commands as c
from domain import errors, ids, rules
from domain.ledger import Ledger
from domain.reasons import ReasonList, in_force

__all__ = ["reasons_in_force", "typed_by"]


def reasons_in_force(ledger: Ledger, at_position: int | None = None) -> ReasonList:
    """The list in force now, or just after log position ``at_position``.

    One stream read: lists are published rarely (an admin's edit), so the stream
    stays short and needs no view of its own.
    """
    stream = ledger.read_stream(ids.call_reasons_stream_id())
    if at_position is not None:
        stream = [logged for logged in stream if logged.position <= at_position]
    return in_force(stream)


def typed_by(principal: Principal, ledger: Ledger, command: c.Command) -> c.Command:
    """``command`` as recorded with ``principal``'s key: held to the rules above if it
    is a call (or a call correction) sent with an agent's key, else unchanged."""
    if principal.role != "agent":
        return command
    if isinstance(command, c.RecordCall):
        return _agent_call(principal, ledger, command)
    if isinstance(command, c.CorrectCall):
        rules.check_agent_is_key(command.agent_id, principal.name)
        reasons_in_force(ledger).check(command.reason)
    return command


def _agent_call(principal: Principal, ledger: Ledger, call: c.RecordCall) -> c.RecordCall:
    rules.check_agent_is_key(call.agent_id, principal.name)
    reasons_in_force(ledger).check(call.reason)
    if call.agent_id is not None:
        return call
    try:  # validated: a key's name is any text, an agent id is bounded plain text
        return c.RecordCall.model_validate(call.model_dump() | {"agent_id": principal.name})
    except ValidationError:
        msg = "this key's name cannot be an agent id (1 to 200 characters, one line)"
        raise errors.AgentMismatch(msg, field="agent_id") from None
