"""``touchpoint migrate``, ``serve`` and ``project``: the database, the API, the projectors."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Annotated

import typer

from api.bootstrap import Services, database_url, prepare_database, running, start_projectors
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
from api.settings import Settings
from api.storage.kek import KekMissing, keks
from projections.registry import VIEW_NAMES, UnknownView, check_view_name

__all__ = ["register", "serve_http"]

HostOption = Annotated[str | None, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on.", min=1)]


def migrate() -> None:
    """Bring the database (TOUCHPOINT_DATABASE_URL, else the embedded one) to the latest schema."""
    settings = Settings()
    with database_errors(), database_url(settings) as url:
        try:  # plain data keys of an older database are wrapped under the KEK
            prepare_database(settings, url, keks(settings))
        except KekMissing as missing:
            raise fail(str(missing), EXIT_UNUSABLE_INPUT) from missing
    err().print(
        f"database migrated to the latest schema; runtime role {settings.runtime_role} ready",
        highlight=False,
    )


def serve(
    host: HostOption = None,
    port: PortOption = None,
    projectors: Annotated[
        bool, typer.Option(help="Run the projectors in this process (off: `touchpoint project`).")
    ] = True,
) -> None:
    """Serve the HTTP API; with no TOUCHPOINT_DATABASE_URL, on an embedded PostgreSQL."""
    settings = Settings()
    check_secret(settings)
    check_keyring(settings)
    stop_on_signals()
    err().print(_plan(settings, "serving"), highlight=False)
    with database_errors(), running(settings) as services:
        ensure_admin_key(services.keys, err())
        serve_http(services, host, port, projectors=projectors)


def _plan(settings: Settings, then: str) -> str:
    """What a long-running command does first: migrate as the owner, or only check."""
    if settings.runtime_url and not settings.database_url:
        return f"database: TOUCHPOINT_RUNTIME_URL; checking its schema, then {then}"
    where = "TOUCHPOINT_DATABASE_URL" if settings.database_url else settings.data_dir.resolve()
    role = settings.runtime_role
    return f"database: {where}; migrating, then {then} as the runtime role {role}"


def serve_http(services: Services, host: str | None, port: int | None, *, projectors: bool) -> None:
    """The one place uvicorn starts: the API on ``services``, projectors alongside if asked."""
    # Imported here: the web stack takes a while to import, and most commands never serve.
    import uvicorn  # noqa: PLC0415

    from api.web.app import create_app  # noqa: PLC0415

    settings = services.settings
    handle = start_projectors(services) if projectors else None
    try:
        uvicorn.run(
            create_app(services),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
            # Live streams (SSE) never end by themselves: without this, shutdown
            # would wait for every open desktop; they reconnect with Last-Event-ID.
            timeout_graceful_shutdown=5,
        )
    finally:
        if handle is not None:
            handle.stop()


def _view_names(values: list[str] | None) -> list[str]:
    try:
        return [check_view_name(name) for name in values] if values else list(VIEW_NAMES)
    except UnknownView as unknown:
        raise typer.BadParameter(str(unknown)) from unknown


def project(
    view: Annotated[
        list[str] | None,
        typer.Option(help="Only this view (repeat for several); default all.", show_default=False),
    ] = None,
) -> None:
    """Run the projectors alone (no API) until Ctrl-C or SIGTERM."""
    names = _view_names(view)
    err().print(f"projecting {', '.join(names)}; Ctrl-C to stop", highlight=False)
    with database_errors():
        project_until_stopped(Settings(), names)


def project_until_stopped(settings: Settings, names: Sequence[str] = VIEW_NAMES) -> None:
    """Run the projectors in this process until SIGINT or SIGTERM."""
    stop = threading.Event()
    stop_on_signals(stop.set)
    with running(settings) as services:
        handle = start_projectors(services, names)
        while not stop.wait(1.0) and handle.running:
            pass
        handle.stop()


def register(app: typer.Typer) -> None:
    """Add ``migrate``, ``serve`` and ``project`` to the ``touchpoint`` command."""
    app.command("migrate")(migrate)
    app.command("serve")(serve)
    app.command("project")(project)
