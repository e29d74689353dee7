"""``touchpoint views status|rebuild``: the views' lag, and rebuilding one into a copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.common import database_errors
from api.cli.names import VIEW_NAMES

if TYPE_CHECKING:  # the database stack is imported when a command runs (fast --help)
    from projections.config import ViewConfig
    from projections.runner import ProgressFn, ProjectionRunner, ViewStatus


def _check_name(name: str) -> str:
    from projections.registry import UnknownView, check_view_name  # noqa: PLC0415

    try:
        return check_view_name(name)
    except UnknownView as unknown:
        raise typer.BadParameter(str(unknown)) from unknown


def status() -> None:
    """Each view's position, its lag behind the log in facts and in seconds, and the
    projector leading it (the PostgreSQL backend pid holding its lock; none: no projector
    runs for it)."""
    from api.bootstrap import running  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from projections.leadership import leaders  # noqa: PLC0415

    with database_errors(), running(Settings()) as services:
        rows = services.runner().status()
        with services.key_pool.connection() as conn:
            led = leaders(conn, [row.name for row in rows])
    Console().print(status_table(rows, led))


def status_table(rows: list[ViewStatus], led: dict[str, int | None] | None = None) -> Table:
    """The status of the views as a table (with ``led``, a column of their leaders)."""
    table = Table(title="Views")
    columns = ["view", "position", "log head", "lag (facts)", "lag (seconds)"]
    for column in [*columns, *(["leader"] if led is not None else [])]:
        table.add_column(column, justify="left" if column in ("view", "leader") else "right")
    for row in rows:
        cells = [row.name, str(row.position), str(row.head), str(row.lag_facts)]
        cells.append(f"{row.lag_seconds:.1f}")
        if led is not None:
            pid = led.get(row.name)
            cells.append("none" if pid is None else f"pid {pid}")
        table.add_row(*cells)
    return table


def rebuild(
    name: Annotated[
        str, typer.Argument(help=f"The view: {', '.join(VIEW_NAMES)}.", callback=_check_name)
    ],
) -> None:
    """Rebuild one view from position 0 into a copy, then switch it in.

    The view keeps serving its current rows (and following the log) until the copy
    has caught up; the other views are not touched.
    """
    from api.bootstrap import running, view_config  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415

    err = Console(stderr=True)
    with database_errors(), running(Settings()) as services:
        runner = services.runner([name])
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
    from api.cli.replay import cli_author  # noqa: PLC0415
    from projections.rebuild import RebuildRunning, rebuild_by_switch  # noqa: PLC0415

    try:
        return rebuild_by_switch(
            runner, name, config=config, author=cli_author(), progress=progress
        )
    except RebuildRunning as running_already:
        Console(stderr=True).print(f"[red]error:[/red] {running_already}")
        raise typer.Exit(1) from running_already


def register(app: typer.Typer) -> None:
    """Add ``views`` and ``project`` to the ``touchpoint`` command."""
    group = typer.Typer(
        help="Projection views: their lag, and rebuilding one from the log.",
        no_args_is_help=True,
    )
    group.command("status")(status)
    group.command("rebuild")(rebuild)
    app.add_typer(group, name="views")
