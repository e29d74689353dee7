"""Which database a command uses, chosen once for the whole command and said out loud.

One folder, one database: with no URL configured, a command uses the embedded server
of ``--data-dir`` (or ``TOUCHPOINT_DATA_DIR``); else ``./.touchpoint``, unless the
folder holds only the demo's ``./.touchpoint-demo`` (then that one). With both here
and neither chosen, the command refuses (exit 2) rather than guess. ``demo`` itself
defaults to ``./.touchpoint-demo``, so demo facts never land in a real ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "CHOSEN",
    "DEMO_DATA_DIR",
    "PLAIN_DATA_DIR",
    "Database",
    "DatabaseChoiceError",
    "announce_once",
    "choose",
    "hide_password",
]

PLAIN_DATA_DIR = Path(".touchpoint")
DEMO_DATA_DIR = Path(".touchpoint-demo")
_URL_VARIABLES = ("TOUCHPOINT_DATABASE_URL", "TOUCHPOINT_RUNTIME_URL")
_CONNINFO_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


class DatabaseChoiceError(ValueError):
    """No single database can be chosen (two here, or a folder and a URL): exit 2."""


@dataclass(frozen=True)
class Database:
    """The database of a command: a folder of the embedded server, or a URL."""

    description: str
    data_dir: Path | None = None

    @property
    def line(self) -> str:
        """The first line a command prints on stderr."""
        return f"database: {self.description}"


def hide_password(url: str) -> str:
    """``url`` (a URL or a libpq key=value string) with its password as ``***``."""
    if "://" not in url:
        return _CONNINFO_PASSWORD.sub(r"\1***", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def choose(
    data_dir: Path | None, env: Mapping[str, str], cwd: Path, *, demo: bool = False
) -> Database:
    """The database a command run in ``cwd`` uses (``demo``: the demo's default folder)."""
    url_variable = next((name for name in _URL_VARIABLES if env.get(name)), None)
    if url_variable is not None:
        if data_dir is not None:
            msg = f"--data-dir names an embedded database but {url_variable} is set: drop one"
            raise DatabaseChoiceError(msg)
        return Database(f"{hide_password(env[url_variable])} ({url_variable})")
    if data_dir is not None:
        return _folder(cwd / data_dir, "--data-dir")
    if env.get("TOUCHPOINT_DATA_DIR"):
        return _folder(cwd / env["TOUCHPOINT_DATA_DIR"], "TOUCHPOINT_DATA_DIR")
    if demo:
        return _folder(cwd / DEMO_DATA_DIR, "the demo's own")
    return _by_folders_here(cwd)


def _by_folders_here(cwd: Path) -> Database:
    plain, demo = cwd / PLAIN_DATA_DIR, cwd / DEMO_DATA_DIR
    if plain.is_dir() and demo.is_dir():
        msg = (
            f"two databases here, ./{PLAIN_DATA_DIR} and ./{DEMO_DATA_DIR}: choose one with "
            f"--data-dir {PLAIN_DATA_DIR} or --data-dir {DEMO_DATA_DIR} (or TOUCHPOINT_DATA_DIR)"
        )
        raise DatabaseChoiceError(msg)
    if demo.is_dir():
        return _folder(demo, f"the demo's: no ./{PLAIN_DATA_DIR} here")
    return _folder(plain, "the default")


def _folder(path: Path, why: str) -> Database:
    folder = path.resolve()
    return Database(f"embedded PostgreSQL in {folder} ({why})", folder)


def announce_once(context: Any) -> None:
    """Print ``database: …`` on stderr once per command, from the root ``typer.Context``
    (``serve`` and ``demo`` print it themselves, after checking their port)."""
    import typer  # noqa: PLC0415  (light, but only commands that announce need it)

    if context is None:
        return
    meta = context.find_root().meta
    database = meta.get(CHOSEN)
    if not isinstance(database, Database) or meta.get(_ANNOUNCED):
        return
    meta[_ANNOUNCED] = True
    typer.echo(database.line, err=True)


CHOSEN = "touchpoint.database"
_ANNOUNCED = "touchpoint.database.announced"
