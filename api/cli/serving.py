"""``touchpoint migrate``, ``serve`` and ``project``: the database, the API, the projectors."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

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
    stop_on_signals,
)
from api.cli.keys import first_admin_key
from api.cli.names import VIEW_NAMES

if TYPE_CHECKING:  # the web and database stacks are imported when a command runs
    import uvicorn

    from api.bootstrap import Services
    from api.settings import Settings

__all__ = ["interruptible_start", "page_lines", "register", "serve_http"]

HostOption = Annotated[str | None, typer.Option(help="Address to listen on.")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on.", min=1)]
T = TypeVar("T")
INTERRUPTED_START = (
    "interrupted while migrating the database or starting the services; nothing is "
    "served: run `touchpoint serve` again to finish"
)


def migrate() -> None:
    """Bring the database (TOUCHPOINT_DATABASE_URL, else the embedded one) to the latest schema."""
    from api.bootstrap import database_url, prepare_database  # noqa: PLC0415
    from api.settings import Settings  # noqa: PLC0415
    from api.storage.kek import KekMissing, keks  # noqa: PLC0415

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
    ctx: typer.Context,
    host: HostOption = None,
    port: PortOption = None,
    projectors: Annotated[
        bool, typer.Option(help="Run the projectors in this process (off: `touchpoint project`).")
    ] = True,
) -> None:
    """Serve the HTTP API and the pages; with no TOUCHPOINT_DATABASE_URL, on an embedded
    PostgreSQL. Their addresses (and a first admin key, if none exists) are printed last."""
    from api.settings import Settings  # noqa: PLC0415

    settings = Settings()
    host, port = host or settings.host, port or settings.port
    check_port(host, port)  # before anything is printed: a taken port prints no URL
    where.announce_once(ctx)
    check_secret(settings)
    check_keyring(settings)
    stop_on_signals(_interrupt)  # while migrating: exit 130 saying so (not a silent 0)
    err().print(_plan(settings, "serving"), highlight=False)
    from api.bootstrap import running  # noqa: PLC0415

    with database_errors(), interruptible_start(running(settings)) as services:
        stop_on_signals()  # started: Ctrl-C is the way to stop serving (exit 0)
        made = first_admin_key(services.keys)
        lines = [*page_lines(host, port), *_admin_lines(made)]
        serve_http(services, host, port, projectors=projectors, banner=lines)


def _interrupt() -> None:
    raise KeyboardInterrupt


@contextmanager
def interruptible_start(opening: AbstractContextManager[T]) -> Iterator[T]:
    """``opening`` entered (and left at the end); Ctrl-C while it opens (migrating,
    starting the services) ends the command with exit 130 and ``INTERRUPTED_START``."""
    with ExitStack() as stack:
        try:
            entered = stack.enter_context(opening)
        except KeyboardInterrupt:
            raise fail(INTERRUPTED_START, EXIT_INTERRUPTED) from None
        yield entered


def page_lines(host: str, port: int) -> list[str]:
    """Where the pages and the API's documents are."""
    where_ = f"http://{host}:{port}"
    return [
        f"agent desktop:     {where_}/desktop",
        f"analyst dashboard: {where_}/dashboard",
        f"API documents:     {where_}/docs (Swagger UI), {where_}/redoc (ReDoc)",
    ]


def _admin_lines(made: tuple[str, str] | None) -> list[str]:
    if made is None:
        return []
    key_id, key = made
    return [
        f"no admin key existed: first admin key {key_id} (shown once, store it now; make "
        "others with `touchpoint keys create`):",
        f"TOUCHPOINT_ADMIN_KEY={key}",
    ]


def _plan(settings: Settings, then: str) -> str:
    """What a long-running command does first: migrate as the owner, or only check."""
    if settings.runtime_url and not settings.database_url:
        return f"checking the database's schema, then {then}"
    return f"migrating the database, then {then} as the runtime role {settings.runtime_role}"


def serve_http(
    services: Services,
    host: str | None,
    port: int | None,
    *,
    projectors: bool,
    banner: Sequence[str] = (),
) -> None:
    """The one place uvicorn starts: the API on ``services``, projectors alongside if asked;
    ``banner`` printed once the server listens (after its own lines: it stays in sight)."""
    from api.bootstrap import start_projectors  # noqa: PLC0415

    settings = services.settings
    server = _server(services, host or settings.host, port or settings.port, banner)
    handle = start_projectors(services) if projectors else None
    try:
        server.run()
    finally:
        if handle is not None:
            handle.stop()
    if not server.started:
        raise fail("the server did not start (the reason is logged above)", EXIT_FAILED)


def _server(services: Services, host: str, port: int, banner: Sequence[str]) -> uvicorn.Server:
    # Imported here: the web stack takes a while to import, and most commands never serve.
    import uvicorn  # noqa: PLC0415

    from api.web.app import create_app  # noqa: PLC0415
    from api.web.logs import use_logs  # noqa: PLC0415

    settings = services.settings
    use_logs(settings.log_format, settings.log_level)  # ours, not uvicorn's dictConfig
    config = uvicorn.Config(
        create_app(services),
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level,
        # Live streams (SSE) never end by themselves: without this, shutdown
        # would wait for every open desktop; they reconnect with Last-Event-ID.
        timeout_graceful_shutdown=5,
    )
    return _with_banner(uvicorn.Server, config, [*banner, "Ctrl-C to stop"])


def _with_banner(base: type[uvicorn.Server], config: Any, banner: list[str]) -> uvicorn.Server:
    """A uvicorn server that prints ``banner`` once it listens."""

    class Server(base):  # type: ignore[misc,valid-type]
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                err().print("\n" + "\n".join(banner) + "\n", highlight=False, soft_wrap=True)

    return Server(config)


def _view_names(values: list[str] | None, lists: str | None = None) -> list[str]:
    """The views named by ``--view`` (repeated) and ``--views a,b``; none named: all."""
    from projections.registry import UnknownView, check_view_name  # noqa: PLC0415

    given = [*(values or []), *(part.strip() for part in (lists or "").split(",") if part.strip())]
    try:
        return list(dict.fromkeys(check_view_name(name) for name in given)) or list(VIEW_NAMES)
    except UnknownView as unknown:
        raise typer.BadParameter(str(unknown)) from unknown


def project(
    view: Annotated[
        list[str] | None,
        typer.Option(help="Only this view (repeat for several); default all.", show_default=False),
    ] = None,
    views: Annotated[
        str | None,
        typer.Option(
            help="Only these views, comma-separated (e.g. cost,crm); default all.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the projectors alone (no API) until Ctrl-C or SIGTERM.

    Several may run for the same views (on one machine or several): for each view one
    leads and applies it, the others stand by and take over within a second or two of
    its end. Each change of role is printed (`cost: leader`, `cost: standby`).
    """
    from api.settings import Settings  # noqa: PLC0415

    names = _view_names(view, views)
    err().print(f"projecting {', '.join(names)}; Ctrl-C to stop", highlight=False)
    with database_errors():
        project_until_stopped(Settings(), names)


def project_until_stopped(settings: Settings, names: Sequence[str] = VIEW_NAMES) -> None:
    """Run the projectors in this process until SIGINT or SIGTERM, printing role changes."""
    stop = threading.Event()
    stop_on_signals(stop.set)
    from api.bootstrap import running, start_projectors  # noqa: PLC0415

    with running(settings) as services:
        handle = start_projectors(services, names)
        shown: dict[str, str] = {}
        while not stop.wait(0.2) and handle.running:
            shown = _show_roles(handle.roles(), shown)
        handle.stop()


def _show_roles(roles: dict[str, str], shown: dict[str, str]) -> dict[str, str]:
    """Print each view whose role differs from ``shown`` (``cost: leader``); the roles."""
    for name, role in roles.items():
        if shown.get(name) != role:
            err().print(f"{name}: {role}", highlight=False)
    return roles


def register(app: typer.Typer) -> None:
    """Add ``migrate``, ``serve`` and ``project`` to the ``touchpoint`` command."""
    app.command("migrate")(migrate)
    app.command("serve")(serve)
    app.command("project")(project)
