"""Calls recorded by the caller's number (``POST /interactions/calls`` with ``caller_number``).

The number is resolved here, before any command exists (``api.storage.callers``):
the domain and the log only ever see the customer reference it resolved to (the
customer with exactly that number, else an unidentified caller's ``U-...``), never
the number. ``customer_ref``, when given too, wins and the number is dropped.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, StringConstraints, create_model

from api.bootstrap import Services
from api.storage.callers import resolve_caller
from api.web.problems import problem_error
from domain import commands as c

__all__ = ["call_body", "call_command"]

CallerNumber = Annotated[str, StringConstraints(min_length=1, max_length=40)]


def call_body() -> type[BaseModel]:
    """``RecordCall`` with ``customer_ref`` optional and ``caller_number`` beside it."""
    fields: dict[str, Any] = {
        name: (info.rebuild_annotation(), info)
        for name, info in c.RecordCall.model_fields.items()
        if name != "customer_ref"
    }
    fields["customer_ref"] = (
        c.Text | None,
        Field(default=None, description="The customer; or leave it out and give `caller_number`."),
    )
    fields["caller_number"] = (
        CallerNumber | None,
        Field(
            default=None,
            description="The caller's number (ANI), any usual writing: the call is recorded "
            "for the one customer with exactly this number, else for an unidentified caller "
            "`U-...` derived from a keyed token of it. The number itself is never recorded.",
            examples=["+44 7700 900123"],
        ),
    )
    return create_model(
        "RecordCallBody",
        __config__=c.RecordCall.model_config,
        __doc__="A call, for a customer reference or the caller's number.",
        **fields,
    )


def _refused(name: str, reason: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", name), "msg": reason, "type": "value_error"}])


def call_command(services: Services, body: BaseModel) -> c.RecordCall:
    """The command of a ``call_body``: its reference, or the one its number resolves to."""
    data = body.model_dump(exclude_unset=True)
    number = data.pop("caller_number", None)
    if data.get("customer_ref") is None:
        if number is None:
            raise _refused("customer_ref", "give customer_ref or caller_number")
        if services.index is None:
            detail = "calls cannot be matched by number: no index key (TOUCHPOINT_INDEX_KEY)"
            raise problem_error(503, "search-unavailable", detail)
        ref = resolve_caller(services.key_pool, services.index, number)
        if ref is None:
            raise _refused("caller_number", "not a phone number")
        data["customer_ref"] = ref
    return c.RecordCall.model_validate(data)
