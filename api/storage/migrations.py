"""Apply alembic migrations programmatically (``touchpoint migrate`` and at start).

The migration scripts live in the repository's top-level ``alembic/`` folder. An
installed wheel carries them as ``api/storage/alembic`` (hatch ``force-include``,
see pyproject.toml): the folder cannot ship as a top-level ``alembic`` package, as
that name is the alembic library's own.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic import command
from api.storage.kek import Keks
from api.storage.rewrap import settle_data_keys

__all__ = ["SchemaNotCurrent", "alembic_config", "check_current", "migrate", "scripts_folder"]


class SchemaNotCurrent(RuntimeError):
    """The database is not at the latest schema (and this process may not migrate it)."""


_INSTALLED = Path(__file__).resolve().parent / "alembic"  # inside a built wheel
_CHECKOUT = Path(__file__).resolve().parents[2] / "alembic"  # a source (editable) checkout


def scripts_folder() -> Path:
    """Where the migration scripts are: in the installed package, else the checkout."""
    return _INSTALLED if (_INSTALLED / "env.py").is_file() else _CHECKOUT


def alembic_config(url: str) -> Config:
    """Alembic's config for this project, pointed at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(scripts_folder()))
    config.attributes["database_url"] = url
    return config


def migrate(url: str, keks: Keks | None = None) -> None:
    """Bring the database at ``url`` to the latest schema (``keks``: to wrap plain data keys)."""
    command.upgrade(alembic_config(url), "head")
    settle_data_keys(url, keks)


def check_current(url: str) -> None:
    """Raise ``SchemaNotCurrent`` unless the database at ``url`` is at the latest schema.

    For processes that connect as the runtime role only: they cannot migrate.
    """
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute("SELECT version_num FROM public.alembic_version").fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
    if row is None or row[0] != head:
        found = "no schema" if row is None else f"schema {row[0]}"
        msg = f"the database has {found}, not {head}: run `touchpoint migrate` as its owner"
        raise SchemaNotCurrent(msg)
