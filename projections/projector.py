"""Following the log in a background thread: a runner, its thread and its stop switch.

The caller (``api.bootstrap``) builds the runner and the connection pool it uses;
this module only runs it and stops it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from projections.runner import ProjectionRunner

__all__ = ["ProjectorHandle", "follow_in_background"]

log = logging.getLogger(__name__)


@dataclass
class ProjectorHandle:
    """A runner following the log in a daemon thread; ``stop()`` ends it."""

    runner: ProjectionRunner
    thread: threading.Thread
    stopping: threading.Event

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the runner to stop and wait (bounded) for its thread to end.

        The runner's pool is closed once the thread has ended (never under it).
        """
        self.stopping.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("projector thread did not stop within %.0f s", timeout)
        else:
            self.runner.pool.close()

    @property
    def running(self) -> bool:
        """Whether the thread still follows the log."""
        return self.thread.is_alive()


def follow_in_background(runner: ProjectionRunner, poll_seconds: float = 1.0) -> ProjectorHandle:
    """Start ``runner`` following the log in a daemon thread; stop with ``handle.stop()``."""
    stopping = threading.Event()
    thread = threading.Thread(
        target=runner.run,
        args=(stopping, poll_seconds),
        name="touchpoint-projectors",
        daemon=True,
    )
    thread.start()
    log.info("projecting views: %s", ", ".join(runner.views))
    return ProjectorHandle(runner, thread, stopping)
