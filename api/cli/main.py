"""The ``touchpoint`` command: every command group registered on one Typer app.

Exit codes: 0 success; 1 some import lines refused (the rest recorded), or a
check failed; 2 unusable input (e.g. the file is missing); 3 the database is
unavailable.
"""

from __future__ import annotations

import typer

from api.cli import audit, demo, imports, keys, replay, serving, views

__all__ = ["build_app", "main"]


def build_app() -> typer.Typer:
    """The ``touchpoint`` command with every group registered."""
    app = typer.Typer(
        name="touchpoint",
        help="An event-sourced ledger of customer interactions for contact centres.",
        no_args_is_help=True,
        add_completion=False,
    )
    for group in (serving, imports, views, keys, audit, demo, replay):
        group.register(app)
    return app


def main() -> None:
    """Entry point of the ``touchpoint`` script."""
    build_app()()
