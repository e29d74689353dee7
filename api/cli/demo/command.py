"""``touchpoint demo``: load a realistic, seeded history, then serve it (as ``serve`` does).

By default the demo keeps its embedded database in ``.touchpoint-demo`` (not the
``.touchpoint`` of ``serve``), so demo facts never land in a real ledger — the log is
append-only. The folder also keeps the history's configuration and how far its load
got (``api.demo.kept``): a later run serves the same history, an interrupted load
resumes where it stopped, and the keys made for the pages are shown again rather than
made anew. Exit codes: 0 served and stopped (or loaded, with ``--no-serve``); 2 bad
options, the port taken, or a folder holding another demo history; 3 the database is
unavailable; 130 interrupted (the load resumes on the next run).
"""

from __future__ import annotations

import signal
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli import where
from api.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_UNUSABLE_INPUT,
    check_keyring,
    check_port,
    check_secret,
    database_errors,
    err,
    fail,
)

if TYPE_CHECKING:  # the demo and database stacks are imported when it runs (fast --help)
    from collections.abc import Callable

    from api.bootstrap import Services
    from api.demo.kept import DemoState
    from api.demo.state import DemoConfig
    from api.settings import Settings

__all__ = ["register"]
DEMO_DATA_DIR = where.DEMO_DATA_DIR
CONFIG_OPTIONS = ("customers", "months", "seed", "end")


def demo(
    ctx: typer.Context,
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
    prints an agent key and an analyst key for them (kept: the same ones each start;
    `touchpoint keys show-demo` prints them again). Ctrl-C during the load stops it;
    the next run resumes it.
    """
    config = _config(customers, months, seed, end)
    settings = _settings()
    host, port = host or settings.host, port or settings.port
    if serve:
        check_port(host, port)  # before anything is printed: no URL of another server
    where.announce_once(ctx)
    check_secret(settings)
    check_keyring(settings)
    from api.bootstrap import running  # noqa: PLC0415
    from api.cli.demo.load import Interrupted, project  # noqa: PLC0415

    folder = settings.data_dir.resolve() if settings.embedded else None
    phase = _Phase()
    phase.install()
    try:
        with database_errors(), running(settings) as services:
            phase.loading = True
            state = _history(services, config, folder, _given(ctx), phase.asked)
            phase.loading = False
            project(services, err())
            if serve:
                phase.serving = True
                _serve(services, state, folder, host, port)
    except Interrupted as stopped:
        raise fail(f"interrupted: {stopped}", EXIT_INTERRUPTED) from None


class _Phase:
    """Ctrl-C or SIGTERM: ``Interrupted`` while loading; a plain stop once serving."""

    def __init__(self) -> None:
        self.serving = False
        self.loading = False
        self.stop_asked = False

    def asked(self) -> bool:
        """Whether Ctrl-C or SIGTERM came during the load (it stops at the next day)."""
        return self.stop_asked

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.handle)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        from api.cli.demo.load import Interrupted  # noqa: PLC0415

        if self.serving:  # the server stopped on it already: unwind, stop the database
            raise SystemExit(0)
        if self.loading and not self.stop_asked:
            # A flag the load reads between days, not an exception: raised from a signal
            # handler it may land in a weakref callback or a finaliser, where Python
            # ignores it and the load would go on to the end (a second Ctrl-C raises).
            self.stop_asked = True
            return
        raise Interrupted


def _config(customers: int, months: int, seed: int, end: str | None) -> DemoConfig:
    from api.demo.state import DemoConfig  # noqa: PLC0415

    try:
        last = date.fromisoformat(end) if end else datetime.now(UTC).date()
        return DemoConfig(customers=customers, months=months, seed=seed, end=last)
    except ValueError as error:
        raise fail(f"--end: {error}", EXIT_UNUSABLE_INPUT) from error


def _settings() -> Settings:
    """The settings, with the demo's own data folder unless one was chosen."""
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    if "data_dir" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"data_dir": DEMO_DATA_DIR})


def _given(ctx: typer.Context) -> set[str]:
    """The options of the history's configuration given on the command line."""
    return {
        name
        for name in CONFIG_OPTIONS
        if getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"
    }


def _history(
    services: Services,
    config: DemoConfig,
    folder: Path | None,
    given: set[str],
    stop: Callable[[], bool],
) -> DemoState:
    """The folder's history loaded (resumed if a load was interrupted), or a new one."""
    from api.cli.demo.load import load_history  # noqa: PLC0415
    from api.demo.kept import DemoState, read_state  # noqa: PLC0415

    console = err()
    state = read_state(folder) if folder is not None else None
    held = services.ledger.head_position()
    if state is None and held:
        return _unknown_history(services, config, held, given, stop)
    if state is not None:
        _same_history(state, config, folder, given)
        if state.complete:
            console.print(f"demo history: {state.describe()}; loaded", highlight=False)
            return state
    return load_history(services, state or DemoState(config), folder, console, stop=stop)


def _unknown_history(
    services: Services, config: DemoConfig, held: int, given: set[str], stop: Callable[[], bool]
) -> DemoState:
    """A database with facts and no kept demo state (a configured URL, or an older demo):
    served as it is if the storyline is there, finished if --end says which history."""
    from api.cli.demo.load import load_history  # noqa: PLC0415
    from api.demo.kept import DemoState, story_in_log  # noqa: PLC0415

    console = err()
    if story_in_log(services.ledger, config):
        console.print(
            f"the database already holds {held} facts: serving them as they are "
            "(for a new demo, use an empty database or another --data-dir)",
            highlight=False,
        )
        return DemoState(config, loaded=0, complete=True)
    if "end" not in given:
        message = (
            f"the database holds {held} facts but not a whole demo history (a load that "
            "was stopped?): run `touchpoint demo` again with the options it was started "
            "with, --end included, to finish it; for a new demo, use an empty database"
        )
        raise fail(message, EXIT_FAILED)
    console.print(
        f"the database holds {held} facts of an unfinished demo history: loading the rest "
        "(facts already there are skipped)",
        highlight=False,
    )
    return load_history(services, DemoState(config), None, console, stop=stop)


def _same_history(
    state: DemoState, config: DemoConfig, folder: Path | None, given: set[str]
) -> None:
    """Options given on the command line must not ask for another history than the kept one."""
    differs = [name for name in given if getattr(config, name) != getattr(state.config, name)]
    if differs:
        options = ", ".join(f"--{name}" for name in sorted(differs))
        message = (
            f"{folder} holds the demo history of {state.describe()}; {options} asks for "
            "another: give another --data-dir for a new demo (or leave those options out)"
        )
        raise fail(message, EXIT_UNUSABLE_INPUT)


def _serve(services: Services, state: DemoState, folder: Path | None, host: str, port: int) -> None:
    from api.cli.demo.pages import banner, kept_keys  # noqa: PLC0415
    from api.cli.serving import serve_http  # noqa: PLC0415
    from api.demo.kept import DemoState, story_in_log, write_state  # noqa: PLC0415

    address = f"http://{host}:{port}"
    if folder is not None:
        write_state(folder, DemoState(state.config, state.loaded, state.complete, address))
    keys, made = kept_keys(services, folder)
    story = state.complete and story_in_log(services.ledger, state.config)
    lines = banner(address, keys, folder, made, state.config if story else None)
    serve_http(services, host, port, projectors=True, banner=lines)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``touchpoint`` command."""
    app.command("demo")(demo)
