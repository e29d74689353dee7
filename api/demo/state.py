"""What one demo run is made of: its configuration, and the state its parts share."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from api.demo.sim import Clock
from api.demo.world import Customer, PhoneBook, start_of

MAX_CUSTOMERS = 5_000_000
STORY_PHONE = "+44 7700 900417"
MAX_MONTHS = 60


@dataclass(frozen=True)
class DemoConfig:
    """Size, seed and end of a demo history.

    The history covers the ``months`` before ``end`` (midnight UTC starting that day,
    excluded). ``end`` is part of the configuration, never read from the clock here:
    the same configuration always gives the same history.
    """

    customers: int = 10_000
    months: int = 12
    seed: int = 42
    end: date = date(2026, 1, 1)

    def __post_init__(self) -> None:
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}")
        if not 1 <= self.months <= MAX_MONTHS:
            raise ValueError(f"months must be between 1 and {MAX_MONTHS}")

    @property
    def start(self) -> date:
        """First day of the history: ``end`` minus ``months`` calendar months."""
        month = self.end.month - 1 - self.months
        year, month = self.end.year + month // 12, month % 12 + 1
        day = min(self.end.day, 28)  # every month has a 28th
        return date(year, month, day)

    @property
    def days(self) -> int:
        """Number of days in the history."""
        return (self.end - self.start).days

    @property
    def start_at(self) -> datetime:
        return start_of(self.start)

    @property
    def end_at(self) -> datetime:
        return start_of(self.end)


@dataclass
class Run:
    """The state shared by the demo's parts while a history is made."""

    config: DemoConfig
    rng: random.Random
    clock: Clock
    customers: list[Customer] = field(default_factory=list)
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _weights: list[float] = field(default_factory=list)  # cumulative calls per year
    phones: PhoneBook = field(init=False)

    def __post_init__(self) -> None:
        # The storyline's number is Margaret's alone (api.demo.story).
        self.phones = PhoneBook(self.config.seed, taken=(STORY_PHONE,))

    def next_id(self, prefix: str) -> str:
        """A fresh source id, e.g. ``call-000123`` (unique within the run)."""
        return f"{prefix}-{next(self.serial):07d}"

    def join(self, customer: Customer) -> None:
        """A customer starts calling (and being mailed) from now on."""
        self.customers.append(customer)
        total = self._weights[-1] if self._weights else 0.0
        self._weights.append(total + customer.calls_per_year)

    def callers(self, count: int) -> list[Customer]:
        """``count`` customers drawn by how often they call (with replacement)."""
        if not self.customers:
            return []
        total = self._weights[-1]
        picks = (bisect.bisect(self._weights, self.rng.random() * total) for _ in range(count))
        return [self.customers[min(i, len(self.customers) - 1)] for i in picks]

    def yearly_calls(self) -> float:
        """Spontaneous calls a year from everyone who has joined so far."""
        return self._weights[-1] if self._weights else 0.0

    def moment(self, day: date, seconds: float) -> datetime:
        """``day`` at ``seconds`` after midnight UTC, to the second."""
        return start_of(day) + timedelta(seconds=int(seconds))
