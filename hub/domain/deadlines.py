"""Event-time deadlines: a heap-based scheduler advanced by an explicit clock.

One pending deadline per key (the engine uses the patient pseudonym: each patient's state knows its own
next wake-up, so the heap holds at most one live entry per patient and can be rebuilt from the states).
Re-scheduling or cancelling is O(log n) with lazy deletion: superseded heap entries are skipped when popped
and the heap is compacted when they outnumber the live ones. Due entries pop in ``(fire_at, key)`` order,
so the same input always fires in the same order.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A pending wake-up of one patient: at ``fire_at`` (clock time) because of ``reason`` due at ``due``."""

    due: int
    fire_at: int
    reason: str


class DeadlineScheduler:
    """Min-heap of ``(fire_at, key)`` with one live deadline per key."""

    __slots__ = ("_heap", "_live")

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._live: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    def schedule(self, key: str, fire_at: int) -> None:
        """Set (or move) the deadline of ``key`` to ``fire_at``."""
        if self._live.get(key) == fire_at:
            return
        self._live[key] = fire_at
        heapq.heappush(self._heap, (fire_at, key))
        if len(self._heap) > 2 * len(self._live) + 1024:
            self._compact()

    def cancel(self, key: str) -> None:
        """Drop the deadline of ``key`` (no-op when none)."""
        self._live.pop(key, None)

    def get(self, key: str) -> int | None:
        """The pending fire time of ``key``, or None."""
        return self._live.get(key)

    def peek(self) -> int | None:
        """The earliest pending fire time, or None."""
        while self._heap:
            fire_at, key = self._heap[0]
            if self._live.get(key) == fire_at:
                return fire_at
            heapq.heappop(self._heap)
        return None

    def pop_due(self, now: int) -> list[tuple[int, str]]:
        """Remove and return every deadline with ``fire_at <= now``, in ``(fire_at, key)`` order."""
        due: list[tuple[int, str]] = []
        heap = self._heap
        live = self._live
        while heap and heap[0][0] <= now:
            fire_at, key = heapq.heappop(heap)
            if live.get(key) == fire_at:
                del live[key]
                due.append((fire_at, key))
        return due

    def _compact(self) -> None:
        self._heap = [(fire_at, key) for key, fire_at in self._live.items()]
        heapq.heapify(self._heap)
