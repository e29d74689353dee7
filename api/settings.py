"""All configuration, from ``TOUCHPOINT_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """touchpoint's settings; every field is ``TOUCHPOINT_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="TOUCHPOINT_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset means an embedded server in data_dir.",
    )
    data_dir: Path = Field(default=Path(".touchpoint"), description="Embedded server data.")
    host: str = Field(default="127.0.0.1", description="Address the API listens on.")
    port: int = Field(default=8000, description="Port the API listens on.")
    pool_size: int = Field(default=5, ge=1, description="Database connections kept open.")
    pool_max_overflow: int = Field(default=10, ge=0, description="Extra connections.")
    connect_timeout: int = Field(default=5, ge=1, description="Seconds to get a connection.")
    lock_timeout: int = Field(default=10, ge=0, description="Seconds to wait for the log lock.")
    import_batch_size: int = Field(default=1000, ge=1, le=10000, description="Facts per batch.")
