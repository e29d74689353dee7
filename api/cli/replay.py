"""``touchpoint replay --until N --into SCHEMA``: the views as they stood at a past position.

The schema can then be queried with ``as_of_schema=SCHEMA`` on the metric endpoints
(with the report's ``at``, a past report comes out exactly), or with plain SQL.
Exit codes: 0 replayed; 1 refused (the schema exists and is not empty, or is not
touchpoint's to replace); 2 bad arguments; 3 the database is unavailable.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from api.cli.common import database_errors
from api.cli.names import VIEW_NAMES

if TYPE_CHECKING:  # the database stack is imported when the command runs (fast --help)
    from projections.replay import ReplayResult

EXIT_REFUSED = 1


def _schema(name: str) -> str:
    from projections.replay import ReplayRefused, check_schema_name  # noqa: PLC0415

    try:
        return check_schema_name(name)
    except ReplayRefused as error:
        raise typer.BadParameter(str(error)) from error


def _views(names: list[str] | None) -> list[str]:
    chosen = list(dict.fromkeys(names or VIEW_NAMES))
    unknown = [name for name in chosen if name not in VIEW_NAMES]
    if unknown:
        msg = f"unknown view(s) {', '.join(unknown)}; views are {', '.join(VIEW_NAMES)}"
        raise typer.BadParameter(msg)
    return chosen


def replay_command(
    until: Annotated[
        int, typer.Option(min=0, help="Replay facts up to this log position (inclusive).")
    ],
    into: Annotated[
        str,
        typer.Option(help="Schema to create and fill (plain lower-case name).", callback=_schema),
    ],
    replace: Annotated[
        bool, typer.Option(help="Drop and rebuild the schema if an earlier replay made it.")
    ] = False,
    view: Annotated[
        list[str] | None,
        typer.Option(help=f"A view to replay (repeatable; default all: {', '.join(VIEW_NAMES)})."),
    ] = None,
) -> None:
    """Rebuild the views as they stood at a log position into a schema of their own."""
    from api.bootstrap import running, view_config  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from projections.registry import build_views  # noqa: PLC0415
    from projections.replay import ReplayRefused, replay  # noqa: PLC0415

    names = _views(view)
    settings = Settings()
    err = Console(stderr=True)
    with database_errors(), running(settings) as services:
        config = view_config(settings)
        views = build_views(config, names)
        target = min(until, services.ledger.head_position())
        columns = (TextColumn(f"replaying into {into}"), BarColumn(), MofNCompleteColumn())
        progress = Progress(
            *columns, TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=err
        )
        with progress:
            task = progress.add_task("replay", total=target or None)
            try:
                result = replay(
                    services.ledger,
                    services.key_pool,
                    into,
                    views,
                    target,
                    config=config,
                    author=cli_author(),
                    replace=replace,
                    page_size=settings.projection_page_size,
                    progress=lambda at: progress.update(task, completed=at),
                )
            except ReplayRefused as refused:
                progress.stop()
                err.print(f"[red]error:[/red] {refused}", highlight=False)
                raise typer.Exit(EXIT_REFUSED) from refused
            progress.update(task, completed=target)
    Console().print(result_table(result))
    if until > result.until:
        err.print(f"position {until} is after the log's head: replayed up to {result.until}")
    err.print(f"replayed up to position {result.until} into schema {into}", highlight=False)


def result_table(result: ReplayResult) -> Table:
    """The views replayed and the position each reached."""
    table = Table(title=f"Replay schema {result.schema}")
    table.add_column("view")
    table.add_column("position", justify="right")
    for name, position in result.positions.items():
        table.add_row(name, str(position))
    return table


def cli_author() -> str:
    """``cli:<os user>``: who made the schema (recorded in replay_schemas)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (e.g. in containers)
        user = str(os.getuid())
    return f"cli:{user}"


def register(app: typer.Typer) -> None:
    """Add ``touchpoint replay`` to the CLI."""
    app.command("replay")(replay_command)
