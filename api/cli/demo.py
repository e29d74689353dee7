"""``touchpoint demo``: load a realistic, seeded history, then serve it (as ``serve`` does).

By default the demo keeps its embedded database in ``.touchpoint-demo`` (not the
``.touchpoint`` of ``serve``), so demo facts never land in a real ledger — the log is
append-only. A database that already holds facts is served as it is, not loaded again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from api.bootstrap import Services, running
from api.cli.common import (
    EXIT_UNUSABLE_INPUT,
    check_keyring,
    check_secret,
    database_errors,
    err,
    fail,
    stop_on_signals,
)
from api.cli.keys import ensure_admin_key
from api.cli.serving import serve_http
from api.demo.history import DemoConfig, generate_days, load
from api.demo.story import story_index
from api.demo.world import customer_ref
from api.importers.report import ImportReport
from api.settings import Settings

DEMO_DATA_DIR = Path(".touchpoint-demo")
MAX_REFUSALS_SHOWN = 10


def demo(
    *,
    customers: Annotated[int, typer.Option(help="Customers to invent.", min=1)] = 10_000,
    months: Annotated[int, typer.Option(help="Months of history.", min=1, max=60)] = 12,
    seed: Annotated[int, typer.Option(help="Same seed (and end): same history.")] = 42,
    end: Annotated[
        str | None,
        typer.Option(help="Day the history ends (YYYY-MM-DD, excluded); default today (UTC)."),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.", min=1)] = None,
    serve: Annotated[bool, typer.Option(help="Serve the API once loaded.")] = True,
) -> None:
    """Generate a seeded contact-centre history, load it, then serve the pages and the API.

    Opens the agent desktop on /desktop and the analyst dashboard on /dashboard, and
    prints an agent key and an analyst key for them.
    """
    config = _config(customers, months, seed, end)
    settings = _settings()
    check_secret(settings)
    check_keyring(settings)
    stop_on_signals()
    console = err()
    with database_errors(), running(settings) as services:
        _load_once(services, config, console)
        _project(services, console)
        if serve:
            _serve(services, settings, config, console, host=host, port=port)


def _config(customers: int, months: int, seed: int, end: str | None) -> DemoConfig:
    try:
        last = date.fromisoformat(end) if end else datetime.now(UTC).date()
        return DemoConfig(customers=customers, months=months, seed=seed, end=last)
    except ValueError as error:
        raise fail(f"--end: {error}", EXIT_UNUSABLE_INPUT) from error


def _settings() -> Settings:
    """The settings, with the demo's own data folder unless TOUCHPOINT_DATA_DIR is set."""
    settings = Settings()
    if "data_dir" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"data_dir": DEMO_DATA_DIR})


def _load_once(services: Services, config: DemoConfig, console: Console) -> None:
    held = services.ledger.head_position()
    if held:
        console.print(
            f"the database already holds {held} facts: serving them as they are "
            f"(for a new demo, use an empty database or another TOUCHPOINT_DATA_DIR)",
            highlight=False,
        )
        return
    console.print(
        f"demo history: {config.customers} customers, {config.start} to {config.end} "
        f"(excluded), seed {config.seed}; the same --seed and --end make the same history",
        highlight=False,
    )
    with _bar(console, "generating and loading", config.days + 1) as advance:
        report = load(
            services.ledger,
            generate_days(config),
            batch_size=services.settings.import_batch_size,
            on_day=lambda day, so_far: advance(1, so_far.facts),
        )
    _summary(report, console)


@contextmanager
def _bar(console: Console, what: str, total: int) -> Iterator[Callable[[int, int], None]]:
    columns = (
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[facts]} facts"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(what, total=total, facts=0)

        def advance(steps: int, facts: int) -> None:
            progress.update(task, advance=steps, facts=facts)

        yield advance


def _summary(report: ImportReport, console: Console) -> None:
    console.print(
        f"recorded {report.recorded} facts, {report.duplicates} already there, "
        f"{len(report.refused)} refused",
        highlight=False,
    )
    for refusal in report.refused[:MAX_REFUSALS_SHOWN]:
        console.print(f"  refused: {refusal.reason}", highlight=False)


def _project(services: Services, console: Console) -> None:
    """Bring every view up to the head of the log before serving (with a progress bar)."""
    runner = services.runner()
    head = services.ledger.head_position()
    with _bar(console, "building the views", head) as advance:
        done = [min(runner.position(name) for name in runner.views)]
        advance(done[0], done[0])  # what earlier runs built is already done

        def progress(position: int) -> None:
            advance(max(0, position - done[0]), position)
            done[0] = max(done[0], position)

        runner.catch_up_many(list(runner.views), progress=progress)


def _serve(
    services: Services,
    settings: Settings,
    config: DemoConfig,
    console: Console,
    *,
    host: str | None,
    port: int | None,
) -> None:
    ensure_admin_key(services.keys, console)
    _, agent_key = services.keys.create("agent", "demo agent desktop")
    _, analyst_key = services.keys.create("analyst", "demo analyst dashboard")
    where = f"http://{host or settings.host}:{port or settings.port}"
    story = customer_ref(story_index(config.customers), config.customers)
    console.print(
        f"\nagent desktop:     {where}/desktop   agent key:   {agent_key}\n"
        f"analyst dashboard: {where}/dashboard analyst key: {analyst_key}\n"
        f"try customer {story}: the fraud-alert SMS of {config.end - timedelta(days=1)}, "
        "her callback, and her 10\n",
        highlight=False,
        soft_wrap=True,
    )
    serve_http(services, host, port, projectors=True)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``touchpoint`` command."""
    app.command("demo")(demo)
