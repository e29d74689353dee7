"""``touchpoint sql`` and ``touchpoint sql-role create NAME``: SQL access to the views.

``sql`` opens ``psql`` on the command's database (the embedded server's own ``psql``
when embedded), as the runtime role by default, ``--as ROLE`` (e.g. a read-only role)
or ``--owner``; ``--print`` prints the connection string instead (password hidden). The
embedded server runs only while a command holds it: connect another client while
``touchpoint serve`` (or ``demo``) runs. ``sql-role create`` makes a read-only role for
SQL clients: SELECT on the views' tables, never the log, keys or chain
(``api.storage.readers``). Exit codes: psql's own; 1 refused; 2 no psql, a bad name;
3 the database is unavailable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import (
    EXIT_FAILED,
    EXIT_UNUSABLE_INPUT,
    database_errors,
    err,
    fail,
)
from api.cli.where import hide_password

if TYPE_CHECKING:  # pydantic-settings is imported when a command runs
    from api.settings import Settings

__all__ = ["register", "view_tables"]


def sql(
    psql_arguments: Annotated[
        list[str] | None,
        typer.Argument(
            help="Passed on to psql, after --: e.g. -- -c 'SELECT …'.", show_default=False
        ),
    ] = None,
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the connection string; open nothing.")
    ] = False,
    role: Annotated[
        str | None,
        typer.Option("--as", help="Connect as this role (e.g. one of `sql-role create`)."),
    ] = None,
    owner: Annotated[
        bool, typer.Option("--owner", help="Connect as the tables' owner (who migrates).")
    ] = False,
) -> None:
    """Open psql on the database (as the runtime role, or --as ROLE), or print its URL."""
    from api.settings import Settings  # noqa: PLC0415

    if role is not None and owner:
        raise fail("give --as ROLE or --owner, not both", EXIT_UNUSABLE_INPUT)
    settings = Settings()
    with database_errors(), _connection(settings, role, owner=owner) as url:
        if print_only:
            typer.echo(hide_password(_as_url(url)))
            if settings.embedded:
                err().print(
                    "the embedded server answers only while a touchpoint command runs on "
                    "it (e.g. `touchpoint serve` in another terminal)",
                    highlight=False,
                )
            return
        code = _psql(url, psql_arguments or [], embedded=settings.embedded)
    raise typer.Exit(code)


@contextmanager
def _owner_url(settings: Settings) -> Iterator[str | None]:
    """The owner's URL (the embedded server's, started); None if only the runtime's is set."""
    from api.bootstrap import database_url  # noqa: PLC0415

    if settings.runtime_url and not settings.database_url:
        yield None
        return
    with database_url(settings) as url:
        yield url


@contextmanager
def _connection(settings: Settings, role: str | None, *, owner: bool) -> Iterator[str]:
    """The connection string to use, the (embedded) server running meanwhile."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: PLC0415

    from api.bootstrap import prepare_database, runtime_url  # noqa: PLC0415
    from api.storage.kek import keks  # noqa: PLC0415

    with _owner_url(settings) as owner_url:
        if owner_url is not None:
            prepare_database(settings, owner_url, keks(settings))
        if owner:
            if owner_url is None:
                raise fail("no owner URL: only TOUCHPOINT_RUNTIME_URL is set", EXIT_FAILED)
            yield owner_url
        elif role is not None:
            base = runtime_url(settings, owner_url)
            params = {k: v for k, v in conninfo_to_dict(base).items() if k != "password"}
            yield make_conninfo("", **{**params, "user": role})
        else:
            yield runtime_url(settings, owner_url)


def _as_url(conninfo: str) -> str:
    """A libpq key=value string as a ``postgresql://`` URL (what most clients take)."""
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415

    if "://" in conninfo:
        return conninfo
    params = conninfo_to_dict(conninfo)
    user, host = params.pop("user", ""), str(params.pop("host", ""))
    password = params.pop("password", None)
    port, dbname = params.pop("port", ""), params.pop("dbname", "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    where = "" if host.startswith("/") else host
    query = {**params, **({"host": host} if host.startswith("/") else {})}
    tail = "&".join(f"{key}={value}" for key, value in query.items())
    return f"postgresql://{auth}{where}{':' + str(port) if port else ''}/{dbname}" + (
        f"?{tail}" if tail else ""
    )


def _psql(url: str, arguments: list[str], *, embedded: bool) -> int:
    """Run psql on ``url`` in the foreground; its exit code. Ctrl-C goes to psql alone."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo  # noqa: PLC0415

    from api.storage.embedded import bundled_client  # noqa: PLC0415

    program = (bundled_client("psql") if embedded else None) or shutil.which("psql")
    if program is None:
        message = "no psql here: install PostgreSQL's client, or use --print with another one"
        raise fail(message, EXIT_UNUSABLE_INPUT)
    params = conninfo_to_dict(url)
    env = dict(os.environ)
    if params.get("password"):  # never on the command line, where `ps` shows it
        env["PGPASSWORD"] = str(params.pop("password"))
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return subprocess.run(
            [str(program), make_conninfo("", **params), *arguments], check=False, env=env
        ).returncode
    finally:
        signal.signal(signal.SIGINT, previous)


def view_tables(settings: Settings) -> list[str]:
    """Every table the projections build (what a read-only role may read)."""
    from api.bootstrap import view_config  # noqa: PLC0415
    from projections.registry import VIEW_NAMES, build_views  # noqa: PLC0415

    views = build_views(view_config(settings), VIEW_NAMES)
    return [table for view in views for table in view.tables]


def create_role(
    name: Annotated[str, typer.Argument(help="The role's name (lower-case, digits, _).")],
    password: Annotated[
        bool,
        typer.Option(
            "--password",
            help="Ask for a password (needed by a server that is not embedded).",
        ),
    ] = False,
) -> None:
    """Make a read-only role: SELECT on the views' tables only (never the log or keys).

    Running it again refreshes the role's grants (after an upgrade added view tables).
    """
    from api.settings import Settings  # noqa: PLC0415

    secret = (
        typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    )
    from psycopg import errors as pg_errors  # noqa: PLC0415

    from api.bootstrap import prepare_database  # noqa: PLC0415
    from api.storage.kek import keks  # noqa: PLC0415
    from api.storage.readers import ReaderRefused, create_reader  # noqa: PLC0415

    settings = Settings()
    with database_errors(), _owner_url(settings) as owner_url:
        if owner_url is None:
            raise fail("making a role needs TOUCHPOINT_DATABASE_URL (the owner)", EXIT_FAILED)
        prepare_database(settings, owner_url, keks(settings))
        try:
            created = create_reader(owner_url, name, view_tables(settings), secret)
        except ReaderRefused as refused:
            raise fail(str(refused), EXIT_FAILED) from refused
        except pg_errors.InsufficientPrivilege as denied:
            raise fail(f"the owner may not create roles: {denied}", EXIT_FAILED) from denied
    done = "created" if created else "exists; its grants refreshed"
    err().print(
        f"read-only role {name} {done}: SELECT on the views' tables only; connect with "
        f"`touchpoint sql --as {name}` (or `--print` for other clients)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``sql`` and ``sql-role`` to the ``touchpoint`` command."""
    app.command("sql")(sql)
    group = typer.Typer(
        help="Read-only SQL roles on the view tables (never the log or keys).",
        no_args_is_help=True,
    )
    group.command("create")(create_role)
    app.add_typer(group, name="sql-role")
