"""The demo's clock: events run in time order, day by day, each emitting commands.

An event is a function to run at a time. Running it may emit commands (what happened
then) and schedule later events (a delivery receipt, a survey reply, a repeat call).
Events decide when they run, not when they are scheduled, so a survey reply sees
the customer's contact pressure at reply time. Ties run in the order scheduled,
which keeps the whole history a pure function of the seed.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from domain.commands import Command

Action = Callable[[], None]


@dataclass(order=True)
class Event:
    """Something to do at ``at``; ``seq`` orders ties by scheduling order."""

    at: datetime
    seq: int
    run: Action = field(compare=False)


class Clock:
    """Events by day; ``run_day`` runs one day's events in time order."""

    def __init__(self) -> None:
        self._seq = itertools.count()
        self._agenda: dict[date, list[Event]] = {}
        self._heap: list[Event] = []
        self._today: date | None = None
        self.now: datetime | None = None
        self.out: list[Command] = []

    def at(self, when: datetime, run: Action) -> None:
        """Run ``run`` at ``when`` (not before the event running now)."""
        when = when.replace(microsecond=0)  # facts are recorded to the second
        if self.now is not None and when < self.now:
            when = self.now  # an effect never precedes its cause
        event = Event(when, next(self._seq), run)
        if when.date() == self._today:
            heapq.heappush(self._heap, event)
        else:
            self._agenda.setdefault(when.date(), []).append(event)

    def emit(self, command: Command) -> None:
        """Record that ``command`` happened (at the current event's time or before)."""
        moment = command.occurred_at
        if moment.microsecond:  # to the second, as events run: else two facts of one
            moment = moment.replace(microsecond=0)  # second could come out of time order
            command = command.model_copy(update={"occurred_at": moment})
        self.out.append(command)

    def run_until(self, day: date) -> list[Command]:
        """Run every event scheduled before ``day`` (the prelude); their commands."""
        done: list[Command] = []
        while early := sorted(d for d in self._agenda if d < day):
            for past in early:  # events may schedule others, still before ``day``
                done.extend(self.run_day(past))
        return done

    def run_day(self, day: date, opening: Action | None = None) -> list[Command]:
        """Run ``opening`` (which schedules the day's arrivals), then every event of ``day``."""
        self._today = day
        self._heap = self._agenda.pop(day, [])
        heapq.heapify(self._heap)
        if opening is not None:
            opening()
        while self._heap:
            event = heapq.heappop(self._heap)
            self.now = event.at
            event.run()
        self._today = None
        return self.take()

    def take(self) -> list[Command]:
        """The commands emitted since the last take."""
        out, self.out = self.out, []
        return out

    def pending_days(self) -> list[date]:
        """Days that still have events (e.g. after the end of the history)."""
        return sorted(self._agenda)
