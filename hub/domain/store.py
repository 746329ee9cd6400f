"""Where the engine keeps per-patient state: a small protocol, so a faust table can stand behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from hub.domain.pathway import PathwayState


class PathwayStore(Protocol):
    """Per-patient state by pseudonym (the worker backs this with a RocksDB table + changelog)."""

    def get(self, pseudonym: str) -> PathwayState | None:
        """The state of a patient, or None."""
        ...

    def put(self, state: PathwayState) -> None:
        """Store (replace) a patient's state."""
        ...

    def delete(self, pseudonym: str) -> None:
        """Forget a patient (all history pruned)."""
        ...


class MemoryStore:
    """Dict-backed :class:`PathwayStore` for tests, ``hub evaluate`` and replays."""

    __slots__ = ("_states",)

    def __init__(self) -> None:
        self._states: dict[str, PathwayState] = {}

    def get(self, pseudonym: str) -> PathwayState | None:
        """The state of a patient, or None."""
        return self._states.get(pseudonym)

    def put(self, state: PathwayState) -> None:
        """Store (replace) a patient's state."""
        self._states[state.pseudonym] = state

    def delete(self, pseudonym: str) -> None:
        """Forget a patient."""
        self._states.pop(pseudonym, None)

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[PathwayState]:
        return iter(list(self._states.values()))
