"""Answers of the customer search and the screen pop (``GET /customers``, ``/customers/lookup``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.web.problems import Problem

__all__ = ["CustomerMatch", "SearchPage", "SeveralCustomersProblem"]


class CustomerMatch(BaseModel):
    """A customer found: enough to pick the right one, no personal value in full."""

    customer_ref: str = Field(examples=["C-000007"])
    name: str | None = Field(
        description="Masked: each word's first letter (null: none given, or erased).",
        examples=["M*** O***"],
    )
    phone: str | None = Field(
        description="Masked: all but the first and last 3 characters starred.",
        examples=["+44*******123"],
    )
    segment: str | None = Field(examples=["retail"])
    registered: bool = Field(description="false: facts name the reference, no registration yet.")
    erased: bool = Field(description="Personal data erased (only a search by reference finds it).")
    last_contact: datetime | None = Field(
        description="When the newest interaction happened (null: none yet)."
    )
    linked_callers: list[str] = Field(
        default_factory=list,
        description="References of unidentified callers (`U-...`) whose number is this "
        "customer's current one: calls recorded by number before the customer was known.",
        examples=[["U-3F2A9C0B1D4E5F607182"]],
    )


class SearchPage(BaseModel):
    """One page of matching customers, newest contact first."""

    items: list[CustomerMatch]
    next_offset: int | None = Field(
        description="Pass as `offset` for the next page; null: no more."
    )
    view_position: int = Field(description="Log position the customer view had applied.")


class SeveralCustomersProblem(Problem):
    """300: several customers share the number; the agent picks one of ``customers``."""

    customers: list[str] = Field(description="References of the customers with this number.")
