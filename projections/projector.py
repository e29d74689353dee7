"""Following the log in a background thread: a runner, its thread and its stop switch.

The caller (``api.bootstrap``) builds the runner and the connection pool it uses;
this module only runs it and stops it. With a ``Leadership``, the runner applies only
the views this process leads, and stands by for the others.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from projections.leadership import Leadership
from projections.runner import ProjectionRunner

__all__ = ["ProjectorHandle", "follow_in_background"]

log = logging.getLogger(__name__)


@dataclass
class ProjectorHandle:
    """A runner following the log in a daemon thread; ``stop()`` ends it."""

    runner: ProjectionRunner
    thread: threading.Thread
    stopping: threading.Event
    leadership: Leadership | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the runner to stop and wait (bounded) for its thread to end.

        The runner's pool (and the leadership's connection, whose locks go with it) is
        closed once the thread has ended (never under it).
        """
        self.stopping.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("projector thread did not stop within %.0f s", timeout)
        else:
            self.runner.pool.close()
            if self.leadership is not None:
                self.leadership.close()

    @property
    def running(self) -> bool:
        """Whether the thread still follows the log."""
        return self.thread.is_alive()

    def roles(self) -> dict[str, str]:
        """``leader`` or ``standby`` for each view (all ``leader`` without a leadership)."""
        if self.leadership is None:
            return dict.fromkeys(self.runner.views, "leader")
        return self.leadership.roles()


def follow_in_background(
    runner: ProjectionRunner, poll_seconds: float = 1.0, leadership: Leadership | None = None
) -> ProjectorHandle:
    """Start ``runner`` following the log in a daemon thread; stop with ``handle.stop()``.

    With ``leadership``, only the views it leads are applied (asked before each catch-up).
    """
    stopping = threading.Event()
    lead = None if leadership is None else leadership.lead
    thread = threading.Thread(
        target=runner.run,
        args=(stopping, poll_seconds, lead),
        name="touchpoint-projectors",
        daemon=True,
    )
    thread.start()
    log.info("projecting views: %s", ", ".join(runner.views))
    return ProjectorHandle(runner, thread, stopping, leadership)
