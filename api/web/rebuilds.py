"""View rebuilds asked for over HTTP, run in background threads of the API process.

One rebuild per view at a time. A rebuild builds a copy of the view from position 0
and switches it in once caught up (``projections.rebuild``): the view keeps serving
its rows meanwhile. Stopping the process stops a rebuild after the page in hand,
before its switch, so the view is left as it was.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["running", "succeeded", "failed"]
Work = Callable[[threading.Event], int]
"""A rebuild: given a stop event, returns the position the view reached."""


@dataclass
class _Rebuild:
    thread: threading.Thread
    state: State = "running"
    position: int | None = None


@dataclass
class Rebuilds:
    """The rebuilds of this process, by view name."""

    stopping: threading.Event = field(default_factory=threading.Event)
    _runs: dict[str, _Rebuild] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, work: Work) -> bool:
        """Start rebuilding ``name`` in a thread; False if one is already running."""
        with self._lock:
            if self.state(name) == "running":
                return False
            thread = threading.Thread(
                target=self._run, args=(name, work), name=f"rebuild-{name}", daemon=True
            )
            self._runs[name] = _Rebuild(thread)
            thread.start()
            return True

    def _run(self, name: str, work: Work) -> None:
        run = self._runs[name]
        try:
            run.position = work(self.stopping)
            run.state = "succeeded"
        except Exception:  # the thread's only report is the log and the state
            log.exception("rebuild of view %s failed", name)
            run.state = "failed"

    def state(self, name: str) -> State | None:
        """The latest rebuild's state for ``name`` (None if none was asked for)."""
        run = self._runs.get(name)
        return None if run is None else run.state

    def wait(self, timeout: float | None = None, *, stop: bool = True) -> None:
        """Wait for every rebuild to end (asking them to stop first, unless ``stop`` is False)."""
        if stop:
            self.stopping.set()
        for run in list(self._runs.values()):
            run.thread.join(timeout)
