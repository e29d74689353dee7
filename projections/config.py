"""Thresholds and rates the views are built with (changing one means a rebuild)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

__all__ = ["ViewConfig"]


@dataclass(frozen=True)
class ViewConfig:
    """Settings of the metric views, as METRICS.md names them."""

    timezone: str = "UTC"
    service_level_seconds: int = 20  # T
    short_abandon_seconds: int = 5  # S
    repeat_window_days: int = 7  # W
    cost_per_handled_second: dict[str, Decimal] = field(default_factory=dict)  # per queue
    default_cost_per_handled_second: Decimal = Decimal("0.01")
    fixed_cost_per_answered_call: Decimal = Decimal("0.50")
    pressure_cap: int = 4  # mailshots per 30 days
    closed_loop_hours: int = 48

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rate(self, queue: str) -> Decimal:
        """Cost per handled second of ``queue``."""
        return self.cost_per_handled_second.get(queue, self.default_cost_per_handled_second)
