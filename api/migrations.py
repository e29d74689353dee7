"""Apply alembic migrations programmatically (``touchpoint migrate`` and at start)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    """Alembic's config for this project, pointed at ``url``."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["database_url"] = url
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the latest schema."""
    command.upgrade(alembic_config(url), "head")
