"""All configuration, from ``TOUCHPOINT_*`` environment variables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """touchpoint's settings; every field is ``TOUCHPOINT_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TOUCHPOINT_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the tables' owner: `touchpoint migrate` (and serve, "
        "project and the other commands, before they connect as the runtime role) migrate "
        "with it; unset, with runtime_url unset too, means an embedded server in data_dir.",
    )
    # Two roles (issue 12): the owner migrates, the runtime role cannot rewrite the log.
    runtime_role: str = Field(
        default="touchpoint_runtime",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL role the API, the projectors and every command but migrate "
        "connect as: SELECT and INSERT on the log only; `touchpoint migrate` creates it (if "
        "the owner may create roles) or checks it, and grants it what it needs.",
    )
    runtime_password: SecretStr | None = Field(
        default=None,
        description="Password of the runtime role (migrate sets it on the role when the owner "
        "may alter roles); unset: none, for a server that trusts the runtime role's "
        "connections (the embedded one, which only listens on a socket in data_dir).",
    )
    runtime_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the runtime role, for processes given no owner "
        "credentials (serve, project in compose): they never migrate and refuse to start "
        "on a database `touchpoint migrate` has not brought to the latest schema; unset: "
        "database_url (or the embedded server's) with runtime_role and runtime_password.",
    )
    read_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of a streaming standby (hot standby) the read endpoints "
        "use: metrics, the customer view, its timeline and search (a libpq multi-host URL with "
        "target_session_attrs=prefer-standby may list several); writes, live streams and the "
        "audit stay on the primary. Connects as the URL says (runtime_password added if it "
        "has none). `min_position` waits for the standby's own view position. Unset: the "
        "primary serves reads too.",
    )
    data_dir: Path = Field(default=Path(".touchpoint"), description="Embedded server data.")
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, description="Port the API listens on.")
    pool_size: int = Field(default=5, ge=1, description="Database connections kept open.")
    pool_max_overflow: int = Field(default=10, ge=0, description="Extra connections.")
    connect_timeout: int = Field(default=5, ge=1, description="Seconds to get a connection.")
    lock_timeout: int = Field(default=10, ge=0, description="Seconds to wait for the log lock.")
    read_wait_seconds: float = Field(
        default=2.0, ge=0, le=30, description="Longest wait of a read for `min_position`."
    )
    import_batch_size: int = Field(default=1000, ge=1, le=10000, description="Facts per batch.")
    earliest_date: date = Field(
        default=date(2000, 1, 1),
        description="Facts that occurred before this day (UTC) are refused, by the API and the "
        "importers alike; set it earlier to import a historical export (issue 14).",
    )
    # HTTP API limits.
    max_request_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest request body (bytes); else 413."
    )
    max_batch_items: int = Field(
        default=10_000, ge=1, description="Most facts in one batch request; else 413."
    )
    database_wait_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Longest wait of an API request for a database connection; then 503.",
    )
    # Security and reliability (issue 6).
    api_key_secret: SecretStr | None = Field(
        default=None,
        description="Server secret of the API keys' HMAC; unset with the embedded server: "
        "generated into data_dir/api_key_secret; unset with a URL: serve refuses to start.",
    )
    kek_file: Path | None = Field(
        default=None,
        description="Keyring file of the key-encryption keys that wrap customers' data keys "
        "(kept out of the database); unset with the embedded server: <data_dir>.kek beside it; "
        "unset with a URL: serve refuses to start.",
    )
    # Finding customers (issue 13): blind indexes of normalised personal values.
    index_key: SecretStr | None = Field(
        default=None,
        description="Server key of the customer search's blind indexes (HMAC-SHA256), kept "
        "out of the database; unset with the embedded server: generated into "
        "data_dir/index_key; unset with a URL: no search (503) and no index kept. Changing "
        "it needs a rebuild of the customer view.",
    )
    default_country: str = Field(
        default="GB",
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 country of phone numbers written without a country code "
        "(e.g. 07700 900123 with GB); changing it needs a rebuild of the customer view.",
    )
    audit_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM) that signs audit digests (kept out of the "
        "database); unset with the embedded server: <data_dir>.audit-signing-key beside it, "
        "generated on first use; unset with a URL: `audit digest --sign` needs --key.",
    )
    statement_timeout_seconds: float = Field(
        default=30.0, ge=0, description="Longest SQL statement of the API's connections (0: none)."
    )
    cors_allow_origins: list[str] = Field(
        default_factory=list, description="Origins allowed by CORS (JSON list); none by default."
    )
    rate_limit_per_second: float = Field(
        default=1000.0, ge=0, description="Requests per second per API key (0: no limit)."
    )
    rate_limit_burst: int = Field(
        default=2000, ge=1, description="Requests a key may send at once above its rate."
    )
    # Views (METRICS.md); changing a cost rate or threshold of a metric view needs a rebuild.
    timezone: str = Field(default="UTC", description="Time zone whose days the metrics use.")
    service_level_seconds: int = Field(default=20, ge=0, description="Service-level target T.")
    service_level_target: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Share of calls to answer within service_level_seconds (0..1): the target "
        "line of the dashboard and the wallboard (not a view setting: no rebuild).",
    )
    locale: str = Field(
        default="en-GB",
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$",
        description="The centre's locale (BCP 47): how the pages write dates and numbers, "
        "whatever the browser's language.",
    )
    currency: str = Field(
        default="GBP", pattern=r"^[A-Z]{3}$", description="The centre's currency (ISO 4217)."
    )
    short_abandon_seconds: int = Field(default=5, ge=0, description="Short-abandon threshold S.")
    repeat_window_days: int = Field(default=7, ge=1, description="FCR repeat window W.")
    cost_per_handled_second: dict[str, Decimal] = Field(
        default_factory=dict, description="Cost per handled second by queue (JSON object)."
    )
    default_cost_per_handled_second: Decimal = Field(
        default=Decimal("0.01"), ge=0, description="Cost per handled second of other queues."
    )
    fixed_cost_per_answered_call: Decimal = Field(
        default=Decimal("0.50"), ge=0, description="Fixed cost of each answered call."
    )
    pressure_cap: int = Field(default=4, ge=0, description="Mailshots per 30 days per customer.")
    closed_loop_hours: int = Field(default=48, ge=1, description="Detractor follow-up window.")
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="Logs as JSON lines with request ids, or as short text lines; auto: "
        "text when stderr is a terminal, JSON otherwise (files, pipes, containers).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="Least level logged; with text logs, one access line per request is "
        "logged at debug (JSON logs keep them at info, for log collectors).",
    )
    # Live streams (Server-Sent Events).
    live_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Longest a live stream waits to read the log "
        "again without a notification (a lost notification only delays a fact this long).",
    )
    live_checkpoint_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How often a customer stream marks how far it read "
        "past other customers' facts (its Last-Event-ID moves on).",
    )
    live_revocation_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Longest an open live stream goes on after its API key is revoked: "
        "it checks its key this often, and after every read, then ends with `event: revoked`.",
    )
    live_keepalive_seconds: float = Field(
        default=10.0,
        gt=0,
        description="An idle live stream sends a keep-alive comment after "
        "this long (checked as often as it reads the log).",
    )
    projection_page_size: int = Field(
        # Larger pages share each statement's fixed cost among more facts (a rebuild of
        # the demo needs about a third less database time at 5,000 than at 1,000);
        # following the log, a page holds only what is new.
        default=5000,
        ge=1,
        le=100_000,
        description="Facts per projection transaction.",
    )

    @property
    def earliest(self) -> datetime:
        """The first instant facts may have occurred at: ``earliest_date`` at 00:00 UTC."""
        return datetime.combine(self.earliest_date, time(), UTC)

    @property
    def embedded(self) -> bool:
        """True when no database is configured: the embedded server in data_dir is used."""
        return self.database_url is None and self.runtime_url is None

    def beside_data_dir(self, suffix: str) -> Path | None:
        """``<data_dir>.<suffix>``, beside (not inside) the embedded server's folder.

        Secrets that must never travel with the database's files (a base backup copies
        the folder) live there; None when no embedded server is used.
        """
        if not self.embedded:
            return None
        data = self.data_dir.resolve()
        return data.with_name(f"{data.name}.{suffix}")
