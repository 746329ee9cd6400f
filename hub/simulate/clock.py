"""Simulated time: ``speed`` simulated seconds per real second from a start instant.

The mapping is fixed when the clock starts (``origin`` on the monotonic clock), so the schedule is
deterministic: the message due at simulated time *t* is sent ``(t - start) / speed`` real seconds after start.

With ``follow_wall_clock`` a start in the past is fast-forwarded until simulated time catches up with the wall
clock, and from then on it *is* the wall clock (the demo: a few days of history in minutes, then live), so
simulated events are never in the future of the hub that receives them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.errors import ConfigError


@dataclass(slots=True)
class SimClock:
    """Maps simulated instants to real (monotonic) seconds and back."""

    start: datetime
    speed: float
    monotonic: Callable[[], float] = time.monotonic
    origin: float = field(default=0.0)
    wall_origin: datetime | None = None
    """Wall-clock instant at ``origin``; set to follow the wall clock once simulated time catches up."""
    catch_up: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ConfigError("speed must be positive")
        if self.start.tzinfo is None:
            raise ConfigError("the simulated start must be timezone-aware")
        self.origin = self.monotonic()
        if self.wall_origin is not None:
            behind = (self.wall_origin - self.start).total_seconds()
            if self.speed <= 1 or behind <= 0:
                self.catch_up = 0.0 if behind <= 0 else None
            else:
                self.catch_up = behind / (self.speed - 1)  # real seconds until simulated time = wall time

    def now(self) -> datetime:
        """The simulated instant now."""
        elapsed = self.monotonic() - self.origin
        if self.catch_up is not None and self.wall_origin is not None and elapsed >= self.catch_up:
            return self.wall_origin + timedelta(seconds=elapsed)
        return self.start + timedelta(seconds=elapsed * self.speed)

    def delay_until(self, at: datetime) -> float:
        """Real seconds to wait until simulated time ``at`` (0 if it has passed)."""
        if self.catch_up is not None and self.wall_origin is not None:
            meeting = self.wall_origin + timedelta(seconds=self.catch_up)
            if at >= meeting:
                due = self.origin + (at - self.wall_origin).total_seconds()
                return max(0.0, due - self.monotonic())
        due = self.origin + (at - self.start).total_seconds() / self.speed
        return max(0.0, due - self.monotonic())
