"""Send lists: one row -> the campaign plans, sends or hold-backs, and answers it records.

A row is mailed (one send, or ``contacts`` sends when the list says how many contacts
were made: a telemarketing list's dial count), held back in the control group (in the
row's campaign, or in each campaign of ``held_back_in``), or skipped. The same row may
also say the customer responded or converted (``responded``, ``converted``,
``conversion_value``): the answer is recorded for the last send, or for each hold-back.

Source ids (what a separate response file must name): ``<id>`` for one send,
``<id>-<k>`` (k = 1..n) with ``contacts``, ``<id>-<campaign>`` with ``held_back_in``;
answers add ``-r`` (response) and ``-c`` (conversion) to their mailshot's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from api.importers import fields as f
from api.importers.mapping import MailshotMapping
from domain import commands as c

__all__ = ["MAX_CONTACTS", "SendListBuilder"]

MAX_CONTACTS = 1000  # contacts of one row: more is a wrong column, not a campaign


@dataclass(frozen=True)
class _Opening:
    """What every fact of a row shares."""

    customer: str
    channel: str
    sent: datetime


@dataclass(frozen=True)
class _Answer:
    """What a row says the customer did after the contact."""

    responded: bool
    converted: bool
    value: Decimal


class SendListBuilder:
    """Send lists: sends or hold-backs per row, their answers; plans new campaigns if asked."""

    def __init__(self, mapping: MailshotMapping) -> None:
        self.m = mapping
        self.planned: set[str] = set()

    def __call__(self, row: f.Row) -> list[c.Command]:
        m = self.m
        group = m.group.meaning(row)
        if group == "skip":
            return []
        if group not in ("mailed", "control"):
            where = f.named(m.group)
            raise f.BadRow(f"{where}: the mapping maps to {group!r}, not mailed/control")
        at = _Opening(
            f.required_text(row, m.customer_ref), m.channel.meaning(row), m.moment(row, m.sent)
        )
        own = f.source_id(row, m.id, m.id_separator)
        openings = self._held_back(row, own, at) if group == "control" else self._sent(row, own, at)
        answer = self._answer_of(row)
        if not openings:
            if answer.responded or answer.converted:
                raise f.BadRow(f"{f.named(m.contacts or '')}: 0 contacts, yet an answer")
            return []
        answered = openings if group == "control" else openings[-1:]
        plans = [p for o in openings for p in self._plan(row, o.campaign_id, at)]
        return [*plans, *openings, *[a for o in answered for a in self._answer(row, o, answer)]]

    def _held_back(self, row: f.Row, own: str, at: _Opening) -> list[c.MailshotOpening]:
        m = self.m
        if not m.held_back_in:
            campaign = f.required_text(row, m.campaign_id)
            return [c.RecordMailshotHeldBack(**_common(m, at, campaign, own))]
        return [
            c.RecordMailshotHeldBack(**_common(m, at, campaign, f"{own}-{campaign}"))
            for campaign in m.held_back_in
        ]

    def _sent(self, row: f.Row, own: str, at: _Opening) -> list[c.MailshotOpening]:
        m = self.m
        campaign = f.required_text(row, m.campaign_id)
        unit_cost = f.money(row, m.unit_cost) or Decimal(0)
        ids = [own] if m.contacts is None else [f"{own}-{k}" for k in _contacts(m, row)]
        return [
            c.RecordMailshotSent(**_common(m, at, campaign, sid), unit_cost=unit_cost)
            for sid in ids
        ]

    def _answer_of(self, row: f.Row) -> _Answer:
        """Whether the row says the customer responded, converted, and for how much."""
        m = self.m
        responded = m.responded is not None and m.responded.meaning(row) == "true"
        value = f.money(row, m.conversion_value)
        if m.converted is not None:
            converted = m.converted.meaning(row) == "true"
        else:
            converted = value is not None and value > 0
        return _Answer(responded, converted, value or Decimal(0))

    def _answer(self, row: f.Row, opening: c.MailshotOpening, answer: _Answer) -> list[c.Command]:
        """A response and/or a conversion for ``opening``, as the row says."""
        m = self.m
        if not (answer.responded or answer.converted):
            return []
        answered_at = m.responded_at or m.converted_at
        assert answered_at is not None  # the mapping's validator
        common = {
            "source": m.source, "customer_ref": opening.customer_ref,
            "mailshot": c.Ref(source=m.source, source_id=opening.source_id),
        }  # fmt: skip
        commands: list[c.Command] = []
        if answer.responded:
            how = (f.text(row, m.how) if m.how else "") or m.default_how
            commands.append(
                c.RecordMailshotResponded(
                    **common, occurred_at=m.moment(row, answered_at),
                    source_id=f"{opening.source_id}-r", how=how,
                )
            )  # fmt: skip
        if answer.converted:
            at = m.moment(row, m.converted_at or answered_at)
            commands.append(
                c.RecordMailshotConverted(
                    **common, occurred_at=at, source_id=f"{opening.source_id}-c",
                    value=answer.value,
                )
            )  # fmt: skip
        return commands

    def _plan(self, row: f.Row, campaign: str, at: _Opening) -> list[c.Command]:
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
                occurred_at=at.sent, source=self.m.source, source_id=campaign,
                campaign_id=campaign, name=name, channel=at.channel, fixed_cost=fixed,
                attribution_window_days=spec.attribution_window_days,
            )
        ]  # fmt: skip


def _common(m: MailshotMapping, at: _Opening, campaign: str, source_id: str) -> dict[str, object]:
    return {
        "occurred_at": at.sent, "source": m.source, "campaign_id": campaign,
        "channel": at.channel, "customer_ref": at.customer, "source_id": source_id,
    }  # fmt: skip


def _contacts(m: MailshotMapping, row: f.Row) -> range:
    """1..n for a row that made n contacts (a whole number from 0 to ``MAX_CONTACTS``)."""
    assert m.contacts is not None
    where = f.named(m.contacts)
    written = f.required_text(row, m.contacts)
    try:
        count = Decimal(written)
    except InvalidOperation as error:
        raise f.BadRow(
            f"{where}: not a whole number: {written[:40]!r}", f"{where}: not a whole number"
        ) from error
    if (
        not count.is_finite()
        or count != count.to_integral_value()
        or not 0 <= count <= MAX_CONTACTS
    ):
        raise f.BadRow(
            f"{where}: contacts must be a whole number from 0 to {MAX_CONTACTS}, "
            f"got {written[:40]!r}",
            f"{where}: contacts out of range",
        )
    return range(1, int(count) + 1)
