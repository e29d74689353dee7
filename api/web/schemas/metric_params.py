"""Query parameters of the metric endpoints: range, breakdowns, filters, ``at``.

One model per endpoint. Filters are explicit parameters, one per breakdown of the
view (equality; values are bound as SQL literals, names are never interpolated).
Unknown parameters are refused (a typo must not silently widen a report), and so
are unknown breakdowns; both errors list the allowed names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from api.web.schemas.params import MAX_POSITION, Digits, ReferenceTime
from domain.commands import Channel
from projections.cem import queries as cem_queries
from projections.cost import queries as cost_queries
from projections.cost.distribution import DISTRIBUTION_GROUPS
from projections.crm import queries as crm_queries
from projections.replay import SCHEMA_PATTERN

MAX_DAYS = 3661  # ten years and a day: a report range, never a scan of all time
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_PRINTABLE)]
HandleTimeBand = Literal["<3", "3-6", "6-10", ">10"]
PressureBand = Literal["0", "1", "2", "3", "4", "5+"]  # projections.cem.bands, 3 and 4 apart
SendPressureBand = Literal["1", "2", "3", "4", "5+"]  # a send counts itself: never 0


class RangeParams(BaseModel):
    """A date range (inclusive, days in the centre's time zone) and a reference time."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    VIEW: ClassVar[str] = ""

    date_from: date = Field(
        alias="from", description="First day, inclusive.", examples=["2026-03-01"]
    )
    date_to: date = Field(alias="to", description="Last day, inclusive.", examples=["2026-03-31"])
    at: ReferenceTime | None = Field(
        default=None,
        description="Reference time for windows that close (FCR, closed loop, pressure); "
        "default now. The answer gives the `at` used: pass it to reproduce a report.",
        examples=["2026-04-01T00:00:00Z"],
    )
    min_position: int | None = Field(
        default=None,
        ge=0,
        le=MAX_POSITION,
        description="Read-your-writes: wait (bounded) until the view has applied this "
        "log position, else 503 with the view's position.",
    )
    as_of_schema: str | None = Field(
        default=None,
        max_length=63,
        pattern=SCHEMA_PATTERN,
        description="Query a replay schema made by `touchpoint replay --until N --into "
        "SCHEMA`: the view as it stood at position N (pass the report's `at` as well to "
        "reproduce it exactly). Unknown or unfinished schemas are 422.",
        examples=["report_2026_03"],
    )

    @field_validator("date_to")
    @classmethod
    def _range(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("date_from")
        if start is not None and value < start:
            raise PydanticCustomError("range_reversed", "`to` is before `from`")
        if start is not None and (value - start).days >= MAX_DAYS:
            raise PydanticCustomError("range_too_long", f"the range is over {MAX_DAYS} days")
        return value

    def filters(self) -> dict[str, str]:
        """The equality filters given (breakdown name -> value as text)."""
        return {}


class BreakdownParams(RangeParams):
    """A range with breakdowns (``group_by``) and equality filters."""

    BREAKDOWNS: ClassVar[tuple[str, ...]] = ()
    RANGE_FIELDS: ClassVar[tuple[str, ...]] = (
        "date_from",
        "date_to",
        "at",
        "min_position",
        "as_of_schema",
        "group_by",
    )

    group_by: list[str] = Field(
        default_factory=list,
        description="Breakdowns, repeated (`group_by=queue&group_by=day`) or comma-separated "
        "(`group_by=queue,day`); rows come per combination, in this order.",
    )

    @field_validator("group_by")
    @classmethod
    def _known_breakdowns(cls, values: list[str]) -> list[str]:
        names = [name.strip() for value in values for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in cls.BREAKDOWNS]
        if unknown:
            raise PydanticCustomError(
                "unknown_breakdown",
                "unknown breakdown(s) {unknown}; allowed: {allowed}",
                {"unknown": ", ".join(map(repr, unknown)), "allowed": ", ".join(cls.BREAKDOWNS)},
            )
        return list(dict.fromkeys(names))  # each once, first mention first

    def filters(self) -> dict[str, str]:
        given = self.model_dump(exclude=set(self.RANGE_FIELDS), exclude_none=True)
        return {name: _text(value) for name, value in given.items()}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class CostFilterParams(BreakdownParams):
    """The cost view's filters: queue, agent, reason."""

    queue: Text | None = Field(default=None, description="Only this queue.", examples=["billing"])
    agent: Annotated[str, StringConstraints(max_length=200, pattern=_PRINTABLE)] | None = Field(
        default=None, description="Only this agent (empty: calls without an agent)."
    )
    reason: Text | None = Field(default=None, description="Only this reason code.")


class CostParams(CostFilterParams):
    """Cost view: breakdowns day, queue, agent, reason, and the staffing breakdowns
    interval, time_of_day, weekday (intervals of ``interval_minutes``)."""

    BREAKDOWNS = cost_queries.GROUPS
    RANGE_FIELDS = (*BreakdownParams.RANGE_FIELDS, "interval_minutes")
    interval_minutes: Annotated[int, Digits] = Field(
        default=15,
        description="Length of the staffing intervals of `group_by=interval` / `time_of_day`, "
        "in wall-clock minutes of the centre's time zone (TOUCHPOINT_TIMEZONE). On the day "
        "clocks go back the repeated hour gives two intervals, told apart by their UTC "
        "offset; on the day they go forward the skipped hour has none.",
        json_schema_extra={"enum": list(cost_queries.INTERVAL_MINUTES)},
    )

    @field_validator("interval_minutes")
    @classmethod
    def _staffing_interval(cls, value: int) -> int:
        if value not in cost_queries.INTERVAL_MINUTES:
            raise PydanticCustomError(
                "interval_minutes", "interval_minutes must be 15, 30 or 60 (minutes)"
            )
        return value


class DistributionParams(CostFilterParams):
    """Distribution of wait and handle times: per-day histograms, so no staffing
    intervals (breakdowns day, queue, agent, reason, weekday)."""

    BREAKDOWNS = DISTRIBUTION_GROUPS


class CrmParams(BreakdownParams):
    """CRM view: breakdowns campaign, channel, day (of send), segment, pressure band."""

    BREAKDOWNS = tuple(crm_queries.COLUMNS)
    campaign: Text | None = Field(default=None, description="Only this campaign id.")
    channel: Channel | None = Field(
        default=None, description="Only this channel (phone: telemarketing calls)."
    )
    segment: Text | None = Field(default=None, description="Only this customer segment.")
    pressure_band: SendPressureBand | None = Field(
        default=None,
        description="Only sends made at this contact pressure of the recipient (mailshots "
        "in the 30 days up to the send, counting it).",
    )


class CemParams(BreakdownParams):
    """CEM view: breakdowns day, survey kind, queue, agent, reason, bands, repeat, segment."""

    BREAKDOWNS = tuple(cem_queries.BREAKDOWNS)
    survey_kind: Literal["transactional", "relationship"] | None = Field(
        default=None, description="Only this survey kind."
    )
    queue: Text | None = Field(default=None, description="Only replies about calls of this queue.")
    agent: Text | None = Field(default=None, description="Only replies about this agent's calls.")
    reason: Text | None = Field(default=None, description="Only replies about this reason.")
    handle_time_band: HandleTimeBand | None = Field(
        default=None,
        description="Only this handle-time band (minutes, half-open: 3-6 is 180 s to < 360 s, "
        ">10 is 600 s or more) of the surveyed call.",
    )
    repeat_contact: bool | None = Field(
        default=None, description="Only replies whose surveyed call was (not) a repeat contact."
    )
    pressure_band: PressureBand | None = Field(
        default=None, description="Only this contact-pressure band (mailshots in 30 days)."
    )
    segment: Text | None = Field(default=None, description="Only this customer segment.")
