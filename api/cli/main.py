"""The ``touchpoint`` command: every command group registered on one Typer app.

Exit codes: 0 success; 1 some import lines refused (the rest recorded), or a
check failed; 2 unusable input (e.g. the file is missing, two databases and none
chosen, the port taken); 3 the database is unavailable; 130 interrupted (Ctrl-C).

Each command's module is imported only when that command runs (``LazyGroup``): the
database, web and crypto stacks take a second or more to import, which ``--help``,
``--version`` and shell completion should not wait for.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import Command, Context, HelpFormatter  # Typer's own (vendored) Click
from typer.core import TyperCommand, TyperGroup

from api.cli import where

__all__ = ["COMMANDS", "LazyGroup", "build_app", "main"]

# name: (module of api.cli whose ``register`` adds it, its one-line help for --help)
COMMANDS: dict[str, tuple[str, str]] = {
    "migrate": ("serving", "Bring the database to the latest schema."),
    "serve": ("serving", "Serve the HTTP API and the pages (desktop, dashboard, docs)."),
    "project": ("serving", "Run the projectors alone (no API) until Ctrl-C or SIGTERM."),
    "import": ("imports", "Record the facts of an NDJSON file; safe to run again."),
    "import-calls": ("imports", "Record the calls of an ACD / telephony CSV export."),
    "import-surveys": ("imports", "Record the replies of a survey tool's CSV export."),
    "import-mailshots": ("imports", "Record a campaign send list or a response file."),
    "suppress": ("suppress", "Decide a campaign's recipient list under the contact policy."),
    "views": ("views", "Projection views: their lag, and rebuilding one from the log."),
    "keys": ("keys", "API keys: create, revoke, list, show-demo; KEKs: rotate, new keyring."),
    "audit": ("audit", "Tamper evidence: digests, verification, proofs, exports."),
    "demo": ("demo.command", "Load a seeded contact-centre history, then serve the pages and API."),
    "replay": ("replay", "Rebuild the views as they stood at a log position into a schema."),
    "sql": ("sql", "Open psql on the database (or print its connection string)."),
    "sql-role": ("sql", "Read-only SQL roles on the view tables (never the log or keys)."),
}
# Commands that use no database (say none), and those that say it themselves once
# their port is checked (nothing is printed before a taken port is refused).
NO_DATABASE = {("keys", "new-keyring"), ("audit", "verify-export")}
ANNOUNCED_LATER = {"serve", "demo"}
DEMO_DEFAULT = {("demo",), ("keys", "show-demo")}
HELP_FLAGS = {"--help", "-h"}


class LazyGroup(TyperGroup):
    """The top-level group: commands listed from ``COMMANDS``, imported when run."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if ctx.meta.get(_LISTING):  # --help: the one-line help only, nothing imported
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        return loaded_command(cmd_name)

    def invoke(self, ctx: Context) -> Any:
        # The callback sees no arguments (Typer clears them first): keep them for it.
        ctx.meta[_GIVEN] = [*getattr(ctx, "_protected_args", []), *ctx.args]
        return super().invoke(ctx)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta[_LISTING] = False


_LISTING = "touchpoint.listing"
_GIVEN = "touchpoint.arguments"


def loaded_command(name: str) -> Command | None:
    """The command ``name``, its module imported and registered on a Typer of its own."""
    module = importlib.import_module(f"api.cli.{COMMANDS[name][0]}")
    holder = typer.Typer()
    module.register(holder)
    return typer.main.get_group(holder).commands.get(name)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version  # noqa: PLC0415

        typer.echo(f"touchpoint {version('touchpoint')}")
        raise typer.Exit


def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder of the embedded database (default: ./.touchpoint, or the demo's "
            "./.touchpoint-demo when it is the only one here).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """An event-sourced ledger of customer interactions for contact centres.

    Every command says which database it uses on its first line of stderr.
    """
    given: list[str] = ctx.meta.get(_GIVEN, [])
    path = _command_path(ctx.invoked_subcommand or "", given)
    if ctx.resilient_parsing or HELP_FLAGS & set(given) or path in NO_DATABASE:
        return
    database = choose_or_exit(data_dir, os.environ, demo=path in DEMO_DEFAULT)
    ctx.meta[where.CHOSEN] = database
    _use(ctx, database)
    if path[0] not in ANNOUNCED_LATER:
        where.announce_once(ctx)


def _command_path(command: str, given: list[str]) -> tuple[str, ...]:
    """``("keys", "list")``: the command and (for a group) its subcommand, as given."""
    names = [name for name in given if not name.startswith("-")]
    if names and names[0] == command:
        names = names[1:]
    sub = names[:1] if command in {"keys", "audit", "views", "sql-role"} else []
    return (command, *sub)


def choose_or_exit(data_dir: Path | None, env: Mapping[str, str], *, demo: bool) -> where.Database:
    """The database chosen, or ``error: …`` and exit 2."""
    try:
        return where.choose(data_dir, env, Path.cwd(), demo=demo)
    except where.DatabaseChoiceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


def _use(ctx: typer.Context, database: where.Database) -> None:
    """Every ``Settings()`` of the command sees the folder chosen (restored afterwards)."""
    if database.data_dir is None:
        return
    before = os.environ.get("TOUCHPOINT_DATA_DIR")
    os.environ["TOUCHPOINT_DATA_DIR"] = str(database.data_dir)
    ctx.call_on_close(_restore("TOUCHPOINT_DATA_DIR", before))


def _restore(name: str, value: str | None) -> Callable[[], Any]:
    def restore() -> None:
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    return restore


def build_app() -> typer.Typer:
    """The ``touchpoint`` command with every group registered (lazily)."""
    app = typer.Typer(
        name="touchpoint",
        cls=LazyGroup,
        no_args_is_help=True,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    return app


def main() -> None:
    """Entry point of the ``touchpoint`` script."""
    build_app()(prog_name="touchpoint")
