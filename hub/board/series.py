"""Event-time series helpers for the board: a bounded, time-ordered step series and sparkline buckets."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Generic, TypeVar

V = TypeVar("V")


class StepSeries(Generic[V]):
    """Values holding from their time until the next one (last wins at equal times); keeps ``limit``."""

    __slots__ = ("_limit", "times", "values")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self.times: list[datetime] = []
        self.values: list[V] = []

    def add(self, at: datetime, value: V) -> None:
        """Record ``value`` from ``at`` (out-of-order times are inserted in place)."""
        index = bisect_right(self.times, at)
        if index and self.times[index - 1] == at:
            self.values[index - 1] = value
            return
        self.times.insert(index, at)
        self.values.insert(index, value)
        if len(self.times) > self._limit:
            del self.times[0]
            del self.values[0]

    def at(self, moment: datetime) -> V | None:
        """The value holding at ``moment``, or None before the first one."""
        index = bisect_right(self.times, moment)
        return self.values[index - 1] if index else None

    @property
    def latest(self) -> V | None:
        """The value with the latest time, or None when empty."""
        return self.values[-1] if self.values else None


def bucket_ends(start: datetime, end: datetime, points: int) -> list[datetime]:
    """``points`` evenly spaced instants after ``start``, the last one being ``end``."""
    step = (end - start) / points
    return [start + step * (i + 1) for i in range(points)]


def spark_window(
    reference: datetime, earliest: datetime | None, *, longest: timedelta, shortest: timedelta
) -> tuple[datetime, datetime]:
    """The sparkline window ending at ``reference``: from the earliest data, at most ``longest`` back."""
    start = reference - longest
    if earliest is not None and earliest > start:
        start = earliest
    if reference - start < shortest:
        start = reference - shortest
    return start, reference


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values, or None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]
