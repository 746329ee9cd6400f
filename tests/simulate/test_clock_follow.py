"""Tests of the simulated clock that fast-forwards history and then follows the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.simulate.clock import SimClock

WALL = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_fast_forward_then_real_time() -> None:
    """Two simulated days at speed 601 catch up after 288 s; afterwards one real second is one second."""
    mono = FakeMonotonic()
    clock = SimClock(WALL - timedelta(days=2), 601.0, monotonic=mono, wall_origin=WALL)
    assert clock.catch_up == 2 * 86400 / 600
    mono.t += 10
    assert clock.now() == WALL - timedelta(days=2) + timedelta(seconds=6010)
    mono.t += clock.catch_up  # now past the meeting point
    meeting = WALL + timedelta(seconds=clock.catch_up)
    assert abs((clock.now() - (meeting + timedelta(seconds=10))).total_seconds()) < 1e-6
    assert clock.now() <= WALL + timedelta(seconds=mono.t - 100)  # never ahead of the wall clock


def test_delay_until_uses_real_time_after_the_meeting_point() -> None:
    """A message due after the meeting point waits in real seconds, one before it in fast-forward."""
    mono = FakeMonotonic()
    clock = SimClock(WALL - timedelta(days=1), 601.0, monotonic=mono, wall_origin=WALL)
    early = WALL - timedelta(hours=12)
    assert abs(clock.delay_until(early) - 12 * 3600 / 601) < 1e-6
    late = WALL + timedelta(minutes=30)
    assert abs(clock.delay_until(late) - 30 * 60) < 1e-6


def test_without_wall_clock_the_speed_never_changes() -> None:
    """Without ``wall_origin`` the clock runs at ``speed`` for ever (the plain simulator)."""
    mono = FakeMonotonic()
    clock = SimClock(WALL, 600.0, monotonic=mono)
    mono.t += 100
    assert clock.now() == WALL + timedelta(seconds=60_000)
