"""``touchpoint views status|rebuild`` and ``touchpoint project``: operating the projections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli_replay import cli_author
from api.projectors import project_until_stopped, runner_for, view_config
from api.settings import Settings
from api.wiring import running
from projections.config import ViewConfig
from projections.runner import ProgressFn, ProjectionRunner, ViewStatus
from projections.service import VIEW_NAMES
from projections.switch import RebuildRunning, rebuild_by_switch

views_app = typer.Typer(
    help="Projection views: their lag, and rebuilding one from the log.",
    no_args_is_help=True,
)


@contextmanager
def _database_errors() -> Iterator[None]:
    from api.cli import _database_errors as database_errors  # the CLI's one exit code 3

    with database_errors():
        yield


def _check_name(name: str) -> str:
    if name not in VIEW_NAMES:
        msg = f"unknown view {name!r}; views are {', '.join(VIEW_NAMES)}"
        raise typer.BadParameter(msg)
    return name


@views_app.command("status")
def status() -> None:
    """Each view's position, and its lag behind the log in facts and in seconds."""
    with _database_errors(), running(Settings()) as services:
        rows = runner_for(services).status()
    Console().print(status_table(rows))


def status_table(rows: list[ViewStatus]) -> Table:
    """The status of the views as a table."""
    table = Table(title="Views")
    for column in ("view", "position", "log head", "lag (facts)", "lag (seconds)"):
        table.add_column(column, justify="left" if column == "view" else "right")
    for row in rows:
        lag = f"{row.lag_seconds:.1f}"
        table.add_row(row.name, str(row.position), str(row.head), str(row.lag_facts), lag)
    return table


@views_app.command("rebuild")
def rebuild(
    name: Annotated[
        str, typer.Argument(help=f"The view: {', '.join(VIEW_NAMES)}.", callback=_check_name)
    ],
) -> None:
    """Rebuild one view from position 0 into a copy, then switch it in.

    The view keeps serving its current rows (and following the log) until the copy
    has caught up; the other views are not touched.
    """
    err = Console(stderr=True)
    with _database_errors(), running(Settings()) as services:
        runner = runner_for(services, [name])
        if name not in runner.views:
            err.print(f"[red]error:[/red] the {name} view is not available in this build")
            raise typer.Exit(1)
        head = services.ledger.head_position()
        columns = (TextColumn(f"rebuilding {name}"), BarColumn(), MofNCompleteColumn())
        config = view_config(services.settings)
        with Progress(*columns, TimeRemainingColumn(), console=err) as progress:
            task = progress.add_task(name, total=head or None)
            position = _rebuild(
                runner, name, config, lambda at: progress.update(task, completed=at)
            )
    err.print(f"view {name} rebuilt and switched in at position {position}", highlight=False)


def _rebuild(runner: ProjectionRunner, name: str, config: ViewConfig, progress: ProgressFn) -> int:
    try:
        return rebuild_by_switch(
            runner, name, config=config, author=cli_author(), progress=progress
        )
    except RebuildRunning as running_already:
        Console(stderr=True).print(f"[red]error:[/red] {running_already}")
        raise typer.Exit(1) from running_already


def project(
    view: Annotated[
        list[str] | None,
        typer.Option(help="Only this view (repeat for several); default all.", show_default=False),
    ] = None,
) -> None:
    """Run the projectors alone (no API) until Ctrl-C or SIGTERM."""
    names = [_check_name(name) for name in view] if view else list(VIEW_NAMES)
    Console(stderr=True).print(f"projecting {', '.join(names)}; Ctrl-C to stop", highlight=False)
    with _database_errors():
        project_until_stopped(Settings(), names)


def register(app: typer.Typer) -> None:
    """Add ``views`` and ``project`` to the ``touchpoint`` command."""
    app.add_typer(views_app, name="views")
    app.command("project")(project)
