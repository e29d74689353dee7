"""Apply alembic migrations programmatically (``touchpoint migrate`` and at start).

The migration scripts live in the repository's top-level ``alembic/`` folder. An
installed wheel carries them as ``api/storage/alembic`` (hatch ``force-include``,
see pyproject.toml): the folder cannot ship as a top-level ``alembic`` package, as
that name is the alembic library's own.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

from alembic import command

__all__ = ["alembic_config", "migrate", "scripts_folder"]

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


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the latest schema."""
    command.upgrade(alembic_config(url), "head")
