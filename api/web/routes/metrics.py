"""The metric views over HTTP (analysts): JSON by default, CSV with ``Accept: text/csv``.

Every endpoint takes a day range (``from``, ``to``, inclusive), breakdowns
(``group_by``), equality filters named after the breakdowns, and ``at`` (the
reference time of windows that close; default now, echoed in the answer so that
a report can be reproduced). Each answer is computed in one snapshot of the view.
No endpoint here returns personal data: the metric views hold none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from psycopg import Connection
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.bootstrap import Services
from api.web.deps import Analyst, ServicesDep
from api.web.problems import problem_responses
from api.web.reading import ProblemRoute, invalid, view_behind_response, wait_for_view
from api.web.schemas import metric_rows as rows
from api.web.schemas import read_examples
from api.web.schemas.csv_output import columns, csv_openapi, csv_response, wants_csv
from api.web.schemas.metric_params import (
    CemParams,
    CostParams,
    CrmParams,
    DistributionParams,
    RangeParams,
)
from projections.cem import queries as cem_queries
from projections.config import ViewConfig
from projections.cost import distribution as cost_distribution
from projections.cost import queries as cost_queries
from projections.crm import queries as crm_queries
from projections.query import MetricQuery
from projections.replay import UnknownReplaySchema, use_replay_schema
from projections.tracking import snapshot, view_position

QueryFn = Callable[[Connection[Any], MetricQuery, ViewConfig], list[dict[str, Any]]]


class Report(BaseModel):
    """What was asked and as of when, with one row per group."""

    model_config = ConfigDict(populate_by_name=True)

    view: str = Field(description="The view the rows come from.", examples=["cost"])
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    at: datetime = Field(description="Reference time used (pass it to reproduce the report).")
    group_by: list[str]
    filters: dict[str, str]
    view_position: int = Field(description="Last log position the view had applied.")
    as_of_schema: str | None = Field(
        default=None, description="The replay schema queried (absent: the live view)."
    )


class CostReport(Report):
    interval_minutes: int | None = Field(
        default=None, description="Length of the staffing intervals (when grouped by them)."
    )
    rows: list[rows.CostRow]


class DistributionReport(Report):
    rows: list[rows.DistributionRow]


class AgentReport(Report):
    rows: list[rows.AgentRow]


SHARED_CONTROL = (
    "control_shared: customers are held back in several campaigns of a row, so its control "
    "counts are hold-backs per campaign, not people; group by campaign for each campaign's "
    "own control group and lift"
)


class CrmReport(Report):
    rows: list[rows.CrmRow]
    notes: list[str] | None = Field(
        default=None, description="How to read the rows (absent: nothing to say).",
        examples=[[SHARED_CONTROL]],
    )  # fmt: skip

    @model_validator(mode="after")
    def _say_when_a_control_group_is_shared(self) -> CrmReport:
        if self.notes is None and any(row.control_shared for row in self.rows):
            self.notes = [SHARED_CONTROL]  # an assignment: counted as set, so it is shown
        return self


class PressureReport(Report):
    rows: list[rows.PressureRow]


class CemReport(Report):
    rows: list[rows.CemRow]


class DetractorReport(Report):
    rows: list[rows.DetractorRow]


class InsightReport(Report):
    rows: list[rows.InsightRow]


def _as_is(row: dict[str, Any]) -> dict[str, Any]:
    return row


def _plain(query: MetricQuery, params: RangeParams) -> MetricQuery:
    return query


def _no_echo(params: RangeParams) -> dict[str, Any]:
    return {}


def _echo_intervals(params: RangeParams) -> dict[str, Any]:
    """The interval length, echoed when the report is per staffing interval."""
    assert isinstance(params, CostParams)
    sliced = set(cost_queries.SLOT_GROUPS) & set(params.group_by)
    return {"interval_minutes": params.interval_minutes} if sliced else {}


def _with_intervals(query: MetricQuery, params: RangeParams) -> MetricQuery:
    """The cost query with the staffing-interval length asked for."""
    assert isinstance(params, CostParams)
    return cost_queries.CostQuery(**vars(query), interval_minutes=params.interval_minutes)


@dataclass(frozen=True)
class Spec:
    """One metric endpoint: its view, query, row model and JSON report."""

    view: str
    name: str  # file name of the CSV
    query: QueryFn
    row: type[rows.Row]
    report: type[Report]
    breakdowns: tuple[str, ...]
    adapt: Callable[[dict[str, Any]], dict[str, Any]] = _as_is
    fixed_groups: tuple[str, ...] = ()  # breakdowns every row has whatever is asked
    example: Callable[[], dict[str, Any]] | None = None
    refine: Callable[[MetricQuery, RangeParams], MetricQuery] = _plain  # view's own options
    echo: Callable[[RangeParams], dict[str, Any]] = _no_echo  # ... and what the report says


def _serve(services: Services, request: Request, params: RangeParams, spec: Spec) -> Any:
    if params.as_of_schema is None:
        wait_for_view(services, spec.view, params.min_position)
    elif params.min_position is not None:
        raise invalid("min_position", "a replay schema never changes: no position to wait for")
    group_by = tuple(getattr(params, "group_by", ()))
    at = params.at or datetime.now(UTC)
    query = MetricQuery(params.date_from, params.date_to, group_by, params.filters(), at)
    query = spec.refine(query, params)
    with snapshot(services.reads) as conn:
        if params.as_of_schema is not None:
            _use_replay(conn, params.as_of_schema, spec.view)
        found = spec.query(conn, query, services.view_config)
        position = view_position(conn, spec.view)
    models = [spec.row.model_validate(spec.adapt(row)) for row in found]
    if wants_csv(request.headers.get("accept")):
        groups = tuple(dict.fromkeys((*spec.fixed_groups, *group_by)))
        return csv_response(models, columns(spec.row, groups, spec.breakdowns), spec.name)
    replayed = {} if params.as_of_schema is None else {"as_of_schema": params.as_of_schema}
    return spec.report(
        **replayed,
        **spec.echo(params),
        view=spec.view,
        date_from=params.date_from,
        date_to=params.date_to,
        at=at,
        group_by=list(group_by),
        filters=params.filters(),
        view_position=position,
        rows=models,
    )


def _use_replay(conn: Connection[Any], schema: str, view: str) -> None:
    """The query's transaction reads the replay schema's copy of the view's tables."""
    try:
        use_replay_schema(conn, schema, view)
    except UnknownReplaySchema as error:
        raise invalid("as_of_schema", str(error), "unknown_schema") from error


_COST = cost_queries.GROUPS
_CRM = tuple(crm_queries.COLUMNS)
_CEM = tuple(cem_queries.BREAKDOWNS)
COST = Spec(
    "cost", "cost", cost_queries.cost_metrics, rows.CostRow, CostReport, _COST,
    example=read_examples.cost_report, refine=_with_intervals, echo=_echo_intervals,
)  # fmt: skip
DISTRIBUTION = Spec(
    "cost", "cost-distribution", cost_distribution.cost_distribution, rows.DistributionRow,
    DistributionReport, cost_distribution.DISTRIBUTION_GROUPS,
    example=read_examples.distribution_report,
)  # fmt: skip
AGENTS = Spec(
    "cost", "agents", cost_queries.agent_handled_seconds, rows.AgentRow, AgentReport, _COST,
    fixed_groups=("day", "agent"), example=read_examples.agents_report, refine=_with_intervals,
)  # fmt: skip
CRM = Spec(
    "crm", "crm", crm_queries.crm_metrics, rows.CrmRow, CrmReport, _CRM, rows.crm_row,
    example=read_examples.crm_report,
)  # fmt: skip
PRESSURE = Spec(
    "crm", "contact-pressure", crm_queries.contact_pressure, rows.PressureRow, PressureReport,
    ("day",), rows.pressure_row, fixed_groups=("day",), example=read_examples.pressure_report,
)  # fmt: skip
CEM = Spec(
    "cem", "cem", cem_queries.cem_metrics, rows.CemRow, CemReport, _CEM,
    example=read_examples.cem_report,
)  # fmt: skip
DETRACTORS = Spec(
    "cem", "detractors", cem_queries.detractor_followups, rows.DetractorRow, DetractorReport, _CEM,
    example=read_examples.detractor_report,
)  # fmt: skip
INSIGHTS = Spec(
    "cem", "insights", cem_queries.insights, rows.InsightRow, InsightReport, _CEM,
    example=read_examples.insight_report,
)  # fmt: skip


def cost(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CostParams, Query()],
) -> Any:
    """Cost view: volumes, ASA, AHT, service level, abandonment, FCR, transfers, cost per
    contact (METRICS.md, "Cost view"); days of `occurred_at`.

    Staffing intervals: `group_by=interval` (with `interval_minutes` 15, 30 or 60) gives
    per interval of wall-clock time in the centre's time zone offered, answered, abandoned,
    AHT, ASA and service level, the inputs of an Erlang C calculation; `time_of_day` and
    `weekday` gather intervals across days (arrival patterns). On the day clocks go back
    the repeated hour is two intervals, told apart by the UTC offset of `interval`."""
    return _serve(services, request, params, COST)


def distribution(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[DistributionParams, Query()],
) -> Any:
    """Distribution of wait and handle times (means alone mislead on skewed times): per
    group, for `wait` (answered calls), `handle` (talk + hold + after-call work of answered
    calls) and `abandon_wait`, the median (`p50`), `p80`, `p90`, `p95` and `max` in whole
    seconds, nearest rank (a time some call took). Read from per-day histograms: exact
    below 600 s (1-second buckets), else the top of the figure's bucket (`exact` says
    which)."""
    return _serve(services, request, params, DISTRIBUTION)


def agents(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CostParams, Query()],
) -> Any:
    """Occupancy-ready input: handled seconds and answered calls per agent per day (always
    broken down by day and agent; occupancy itself needs staffed time, not in the ledger)."""
    return _serve(services, request, params, AGENTS)


def crm(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CrmParams, Query()],
) -> Any:
    """CRM view: mailshots and telemarketing calls (channel phone: sent = dialled, delivered =
    reached), responses and conversions per send and per customer, cost, ROI, revenue per
    mailed, control group and lift, opt-outs by last touch, uncredited responses and
    conversions by reason (METRICS.md, "CRM view"); days of send. `group_by=pressure_band`:
    rates by the recipient's contact pressure at the send (1, 2, 3, 4, 5+) beside the cem
    view's NPS by pressure band. Money is a decimal string in cents; a row whose customers
    are held back in several campaigns says so (`control_shared`, and a note)."""
    return _serve(services, request, params, CRM)


def contact_pressure(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[RangeParams, Query()],
) -> Any:
    """Per day: customers by mailshots sent in the trailing 30 days (0, 1, 2, 3, 4, 5+) and the
    share over the cap. Days after `at` are not reported (not known yet)."""
    return _serve(services, request, params, PRESSURE)


def cem(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CemParams, Query()],
) -> Any:
    """CEM view: NPS with its margin of error and n, CSAT, effort, closed loop
    (METRICS.md, "CEM view"); days of the reply."""
    return _serve(services, request, params, CEM)


def detractors(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CemParams, Query()],
) -> Any:
    """Detractor replies not followed up at `at`: still open, or expired; oldest first."""
    return _serve(services, request, params, DETRACTORS)


def insights(
    principal: Analyst,
    services: ServicesDep,
    request: Request,
    params: Annotated[CemParams, Query()],
) -> Any:
    """Does efficiency or mailshot pressure cost advocacy? NPS (with margin and n) by
    handle-time band, by repeat contact and by contact-pressure band, side by side with the
    volume of replies in each."""
    return _serve(services, request, params, INSIGHTS)


_ROUTES: Sequence[tuple[str, Callable[..., Any], Spec, str]] = (
    ("/metrics/cost", cost, COST, "Cost view metrics"),
    ("/metrics/cost/distribution", distribution, DISTRIBUTION, "Wait and handle percentiles"),
    ("/metrics/cost/agents", agents, AGENTS, "Handled seconds per agent per day"),
    ("/metrics/crm", crm, CRM, "CRM view metrics"),
    ("/metrics/crm/contact-pressure", contact_pressure, PRESSURE, "Contact pressure per day"),
    ("/metrics/cem", cem, CEM, "CEM view metrics"),
    ("/metrics/cem/detractors", detractors, DETRACTORS, "Detractors awaiting follow-up"),
    ("/metrics/insights", insights, INSIGHTS, "NPS by handle time, repeat contact, pressure"),
)


def router() -> APIRouter:
    """The ``/metrics/...`` endpoints (role analyst)."""
    routes = APIRouter(route_class=ProblemRoute, tags=["analysts"])
    errors = {**problem_responses(401, 403, 422), **view_behind_response()}
    for path, endpoint, spec, summary in _ROUTES:
        header = ",".join(columns(spec.row, spec.fixed_groups, spec.breakdowns))
        content: dict[str, Any] = csv_openapi(header)
        if spec.example is not None:
            content["application/json"] = {"example": spec.example()}
        ok = {"description": "The report (JSON), or its rows as CSV.", "content": content}
        routes.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            summary=summary,
            response_model=spec.report,
            response_model_exclude_unset=True,
            responses={200: ok, **errors},
        )
    return routes
