"""Mapping files: how the columns of a CSV export become facts (TOML, checked strictly).

A mapping names its ``kind`` (calls, surveys, mailshots, mailshot_responses), the
file's format (delimiter, encoding, time zone of naive times), which columns build
the source id, and where each field comes from. Mappings shipped with touchpoint
live in ``api/importers/mappings/`` and can be named without a path (``--mapping
calls-timestamps``). Unknown keys are refused, so a typo is an error, not a silent
default. Any value may be a column, a constant or computed from several columns
(``api.importers.fields.Coded``); every key is described in the README's import section.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, TypeAdapter, ValidationError, field_validator, model_validator

from api.importers import fields as f
from api.importers.fields import Coded, Strict, Value
from api.importers.moments import When, moment

BUILT_IN = Path(__file__).resolve().parent / "mappings"
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "comma": ",", "semicolon": ";", "tab": "\t"}


class UnusableMapping(Exception):
    """The mapping file cannot be used; the message says why."""


class Format(Strict):
    """The file's shape and the facts' source."""

    source: str = Field(description="`source` of the facts (the exporting system).")
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    timezone: str = "UTC"
    id: list[str] = Field(min_length=1, description="Columns whose values make the source id.")
    id_separator: str = "-"
    earliest: date | None = Field(
        default=None,
        description="Rows before this day (in `timezone`) are refused; earlier than the "
        "server's TOUCHPOINT_EARLIEST_DATE, the file is refused whole (set the setting first).",
    )

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, given: str) -> str:
        if given not in DELIMITERS:
            raise ValueError(f"delimiter must be one of {', '.join(map(repr, DELIMITERS))}")
        return DELIMITERS[given]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, given: str) -> str:
        try:
            ZoneInfo(given)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {given!r}") from error
        return given

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def floor(self) -> datetime | None:
        """The first instant a row may name (``earliest`` at 00:00 in the file's zone)."""
        if self.earliest is None:
            return None
        return datetime.combine(self.earliest, time(), self.zone)

    def moment(self, row: f.Row, when: When) -> datetime:
        """The moment ``when`` names in ``row``, in this file's zone, not before ``earliest``."""
        return moment(row, when, self.zone, self.floor)

    def columns(self) -> set[str]:
        """Every column the mapping reads (the file's header must have them all)."""
        return set(self.id) | _columns_in(self.model_dump(exclude={"id"}))


def _columns_in(dumped: Any) -> set[str]:
    """Column names anywhere in a dumped mapping: values of keys naming columns."""
    found: set[str] = set()
    if isinstance(dumped, list):
        for item in dumped:
            found |= _columns_in(item)
    if isinstance(dumped, dict):
        for key, item in dumped.items():
            if key in COLUMN_KEYS and isinstance(item, str):
                found.add(item)
            elif key in COLUMN_LIST_KEYS and isinstance(item, list):
                found |= set(item)
            elif key not in NOT_COLUMNS:
                found |= _columns_in(item)
    return found


COLUMN_KEYS = {
    "column", "date_column", "customer_ref", "queue", "agent_id", "reason", "wait", "talk",
    "hold", "after_call_work", "nps", "csat", "effort", "comment", "campaign_id",
    "unit_cost", "how", "value", "name_column", "caller_number", "contacts", "conversion_value",
}  # fmt: skip
COLUMN_LIST_KEYS = {"call_id", "mailshot_id"}
NOT_COLUMNS = {"values", "const", "held_back_in", "no_agent", "unknown_customer"}


class Durations(Strict):
    """Durations given as columns (seconds, or [h:]mm:ss); each replaces a derived one."""

    wait: str | None = None
    talk: str | None = None
    hold: str | None = None
    after_call_work: str | None = None


class CallMapping(Format):
    """Call-detail records of an ACD: one row per call."""

    kind: Literal["calls"]
    customer_ref: Value | None = None
    unknown_customer: list[str] = Field(
        default_factory=list,
        description='Customer values meaning "not known" (e.g. "0"): the call is the '
        "caller number's (if mapped and given), else an unidentified caller of its own.",
    )
    caller_number: str | None = Field(
        default=None,
        description="The caller's number (ANI) column: used when a row has no customer "
        "reference (issue 13); the number itself is never recorded.",
    )
    queue: Value
    agent_id: Value | None = None
    no_agent: list[str] = Field(
        default_factory=list, description="Agent values meaning no agent (e.g. NO_SERVER)."
    )
    reason: Value | None = None
    default_reason: str = "unknown"
    offered: When = Field(description="When the call entered the queue (`occurred_at`).")
    answered: When | None = Field(default=None, description="Service start: wait = - offered.")
    ended: When | None = Field(default=None, description="Service end: talk = - answered - hold.")
    left_queue: When | None = Field(default=None, description="Abandoned: hung up in queue.")
    durations: Durations = Durations()
    outcome: Coded = Field(description="Values meaning answered / abandoned / skip.")
    resolved: Coded | None = Field(default=None, description="Values meaning true / false.")
    transferred: Coded | None = None

    @model_validator(mode="after")
    def _someone(self) -> CallMapping:
        if self.customer_ref is None and self.caller_number is None:
            raise ValueError("a call mapping needs customer_ref, caller_number or both")
        return self


class SurveyAbout(Strict):
    """The call a survey reply is about, by the call export's id columns."""

    source: str
    call_id: list[str] = Field(min_length=1)
    separator: str = "-"


class SurveyMapping(Format):
    """A survey tool's export: one row per response."""

    kind: Literal["surveys"]
    customer_ref: Value
    replied: When
    survey_kind: Coded | None = Field(default=None, description="transactional / relationship.")
    default_survey_kind: Literal["transactional", "relationship"] = "transactional"
    nps: str | None = None
    csat: str | None = None
    effort: str | None = None
    comment: str | None = None
    about: SurveyAbout | None = None


class PlanSpec(Strict):
    """Plan each campaign of a send list the first time it appears (else it must exist)."""

    name_column: str | None = None
    fixed_cost: str = "0"
    attribution_window_days: int = 30


class MailshotMapping(Format):
    """A campaign send list: one row per recipient, mailed or held back (control group).

    A row may say more: how many contacts were made (``contacts``: that many sends),
    whether the customer responded or converted (``responded``, ``converted``,
    ``conversion_value``), and a control row may be held back in several campaigns
    (``held_back_in``).
    """

    kind: Literal["mailshots"]
    customer_ref: Value
    campaign_id: Value
    channel: Coded = Field(description="Values meaning post / email / sms / phone.")
    sent: When
    group: Coded = Field(description="Values meaning mailed / control / skip.")
    unit_cost: Value | None = None
    plan_campaigns: PlanSpec | None = None
    held_back_in: list[str] = Field(
        default_factory=list, description="A control row is held back in each of these."
    )
    contacts: Value | None = Field(default=None, description="Contacts made: that many sends.")
    responded: Coded | None = Field(default=None, description="Values meaning true / false.")
    responded_at: When | None = None
    how: Value | None = None
    default_how: str = "response"
    converted: Coded | None = Field(default=None, description="Values meaning true / false.")
    conversion_value: Value | None = Field(
        default=None, description="Without `converted`: a value above 0 means converted."
    )
    converted_at: When | None = Field(default=None, description="Default: responded_at.")

    @model_validator(mode="after")
    def _answers_have_a_time(self) -> MailshotMapping:
        answers = self.responded or self.converted or self.conversion_value
        if answers is not None and self.responded_at is None and self.converted_at is None:
            raise ValueError("responded/converted need responded_at (when the answer came)")
        return self


class ResponseMapping(Format):
    """A response file: one row per response (with its order value, if it converted)."""

    kind: Literal["mailshot_responses"]
    customer_ref: Value
    mailshot_id: list[str] = Field(min_length=1, description="The send list's id columns.")
    mailshot_source: str = Field(description="`source` of the send list's mailshots.")
    responded: When
    how: Value | None = None
    default_how: str = "response"
    value: Value | None = Field(default=None, description="Conversion value; empty or 0: none.")


AnyMapping = Annotated[
    CallMapping | SurveyMapping | MailshotMapping | ResponseMapping, Field(discriminator="kind")
]


Loaded = CallMapping | SurveyMapping | MailshotMapping | ResponseMapping


def load_mapping(
    name_or_path: str,
) -> CallMapping | SurveyMapping | MailshotMapping | ResponseMapping:
    """A mapping from a TOML file, or a built-in one by name; ``UnusableMapping`` if not."""
    path = Path(name_or_path)
    if not path.exists() and (BUILT_IN / f"{name_or_path}.toml").is_file():
        path = BUILT_IN / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        known = ", ".join(sorted(p.stem for p in BUILT_IN.glob("*.toml")))
        raise UnusableMapping(f"{name_or_path}: no such file (built in: {known})") from error
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UnusableMapping(f"{path}: {error}") from error
    try:
        return TypeAdapter(AnyMapping).validate_python(data)
    except ValidationError as error:
        raise UnusableMapping(f"{path}: {_problems(error)}") from error


def check_floor(mapping: Loaded, earliest: datetime) -> None:
    """``UnusableMapping`` if the mapping's ``earliest`` asks for older rows than the server
    accepts from ``earliest`` (TOUCHPOINT_EARLIEST_DATE): the file is refused whole,
    before anything is written, rather than every old row one by one."""
    own = mapping.floor
    if own is not None and own < earliest:
        needed = own.astimezone(UTC).date()
        raise UnusableMapping(
            f"the mapping accepts rows from {own.isoformat()} (`earliest`), the server only "
            f"from {earliest.isoformat()}: set TOUCHPOINT_EARLIEST_DATE={needed} (or earlier) "
            "to import this file"
        )


def _problems(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return "; ".join(parts)
