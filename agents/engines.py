"""One domain engine per partition, over a key/value table (a faust table in the worker, a dict in tests).

Table values are ``{"p": partition, "s": PathwayState.to_dict()}`` as JSON bytes: the partition is stored so
the deadline heaps can be rebuilt per partition after a restart or rebalance by one scan of the local table,
whatever partitioner the producers used. ``"w"`` (when present) lists the bed segments the patient withdrew
from a unit, ``[segment id, unit id]``, most recent last: the state no longer has them, and a restarted
worker sends those withdrawals again (:func:`agents.bed_sync.restored_records`). ``"i"`` (when present) is
``[input, offset]``: the input record of the value's partition being processed when it was written
(:data:`EVENTS_INPUT` or :data:`TICKS_INPUT`), so a rebuild re-emits only the patients changed at or after
the group's committed offsets (:meth:`EngineSet.take_restored`). No faust import here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import orjson
import structlog

from agents.bed_sync import Withdrawal
from hub.domain import Engine, EngineConfig, PathwayState, RuleBook
from hub.masterdata.model import MasterData


class KeyValueTable(Protocol):
    """The subset of a faust table the engines use."""

    def get(self, key: bytes) -> bytes | None: ...

    def __setitem__(self, key: bytes, value: bytes) -> None: ...

    def __delitem__(self, key: bytes) -> None: ...

    def items(self) -> Iterable[tuple[bytes, bytes]]: ...


log = structlog.get_logger(__name__)

KEEP_WITHDRAWALS = 50
"""Withdrawals remembered per patient (only those after the last commit are ever needed again)."""

EVENTS_INPUT = 0
"""Input code of the canonical events topic in a value's position."""
TICKS_INPUT = 1
"""Input code of the ticks topic (co-partitioned with the events topic)."""

Position = tuple[int, int]
"""(input code, offset) of the input record of a value's partition that was being processed."""

Committed = Callable[[Sequence[int]], Mapping[tuple[int, int], int]]
"""Partitions → the consumer group's committed offset per (input code, partition); a missing entry: none."""


def encode_state(
    partition: int,
    state: PathwayState,
    withdrawals: Sequence[Withdrawal] = (),
    position: Position | None = None,
) -> bytes:
    """Table value of a state (and the patient's remembered bed withdrawals, and the input position)."""
    value: dict[str, object] = {"p": partition, "s": state.to_dict()}
    if withdrawals:
        value["w"] = [list(w) for w in withdrawals]
    if position is not None:
        value["i"] = list(position)
    return orjson.dumps(value)


def needs_re_emit(
    partition: int, position: Position | None, committed: Mapping[tuple[int, int], int]
) -> bool:
    """Whether a restored value's outputs may be missing: written while processing a record at or after the
    group's committed offset (a commit comes only after every output before it was confirmed), or not known
    to be before it (no position, no committed offset)."""
    if position is None:
        return True
    done = committed.get((position[0], partition))
    return done is None or position[1] >= done


def decode_state(value: bytes) -> tuple[int, PathwayState]:
    """(partition, state) of a table value."""
    data = orjson.loads(value)
    return int(data["p"]), PathwayState.from_dict(data["s"])


def decode_withdrawals(value: bytes) -> list[Withdrawal]:
    """The remembered bed withdrawals of a table value."""
    return _withdrawals(orjson.loads(value))


def _withdrawals(data: Mapping[str, Any]) -> list[Withdrawal]:
    return [(str(sid), str(unit)) for sid, unit in data.get("w", [])]


class TableStore:
    """:class:`hub.domain.PathwayStore` on a table, with a cache of decoded states for the hot path."""

    def __init__(self, table: KeyValueTable, partition: int, cache_size: int = 50_000) -> None:
        self.table = table
        self.partition = partition
        self._cache: dict[str, PathwayState] = {}
        self._withdrawals: dict[str, list[Withdrawal]] = {}
        self._cache_size = cache_size
        self.defer_writes = False
        """When set (the pathway stage), a changed state is written once, by :meth:`flush` at the end of the
        batch, instead of at each of its (usually two) changes per event."""
        self._dirty: dict[str, tuple[PathwayState, Position | None]] = {}
        self.position: Position | None = None
        """The input record being processed (set by the processor); written with each value it changes (a
        deferred write with the position of the value's last change, so batching changes nothing)."""

    def get(self, pseudonym: str) -> PathwayState | None:
        """The state of a patient, or None."""
        state = self._cache.get(pseudonym)
        if state is not None:
            return state
        raw = self.table.get(pseudonym.encode())
        if raw is None:
            return None
        _, state = decode_state(raw)
        self._remember(state, decode_withdrawals(raw))
        return state

    def put(self, state: PathwayState) -> None:
        """Store a state."""
        self._remember(state, self._withdrawals.get(state.pseudonym, []))
        self._changed(state)

    def withdrawals(self, pseudonym: str) -> list[Withdrawal]:
        """The bed withdrawals remembered for a patient, oldest first."""
        if pseudonym not in self._cache:
            self.get(pseudonym)
        return list(self._withdrawals.get(pseudonym, []))

    def note_withdrawals(self, pseudonym: str, places: list[Withdrawal]) -> None:
        """Remember that the patient's segments left these units, with the state in the table (one write)."""
        state = self.get(pseudonym)
        if state is None or not places:
            return
        kept = [w for w in self._withdrawals.get(pseudonym, []) if w not in places] + places
        self._withdrawals[pseudonym] = kept[-KEEP_WITHDRAWALS:]
        self._changed(state)

    def delete(self, pseudonym: str) -> None:
        """Forget a patient."""
        self._cache.pop(pseudonym, None)
        self._withdrawals.pop(pseudonym, None)
        self._dirty.pop(pseudonym, None)
        if self.table.get(pseudonym.encode()) is not None:
            del self.table[pseudonym.encode()]

    def flush(self) -> None:
        """Write every state changed since the last flush (as it is now)."""
        for state, position in self._dirty.values():
            self._write(state, position)
        self._dirty.clear()

    def _changed(self, state: PathwayState) -> None:
        if self.defer_writes:
            self._dirty[state.pseudonym] = (state, self.position)
        else:
            self._write(state, self.position)

    def _write(self, state: PathwayState, position: Position | None) -> None:
        withdrawals = self._withdrawals.get(state.pseudonym, ())
        self.table[state.pseudonym.encode()] = encode_state(self.partition, state, withdrawals, position)

    def _remember(self, state: PathwayState, withdrawals: list[Withdrawal]) -> None:
        if len(self._cache) >= self._cache_size:
            evicted = next(iter(self._cache))
            pending = self._dirty.pop(evicted, None)
            if pending is not None:  # written before it leaves the cache, or the table would miss it
                self._write(*pending)
            self._cache.pop(evicted)
            self._withdrawals.pop(evicted, None)
        self._cache[state.pseudonym] = state
        if withdrawals:
            self._withdrawals[state.pseudonym] = withdrawals


class EngineSet:
    """The engines of the partitions this worker holds; rebuilt lazily after each rebalance."""

    def __init__(
        self, masterdata: MasterData, table: KeyValueTable, config: EngineConfig, rules: RuleBook
    ) -> None:
        self.masterdata = masterdata
        self.table = table
        self.config = config
        self.rules = rules
        self._engines: dict[int, Engine] = {}
        self._restored: dict[int, list[str]] = {}
        self.defer_writes = False
        """Stores write changed states at :meth:`flush` (see :attr:`TableStore.defer_writes`)."""
        self.committed: Committed | None = None
        """The group's committed offsets, asked once per rebuild (the worker's is the broker's); None: every
        restored patient is re-emitted."""

    def take_restored(self, partition: int) -> list[str]:
        """Pseudonyms the last rebuild loaded into ``partition``'s engine whose outputs may be missing (see
        :func:`needs_re_emit`); given out once (to re-emit)."""
        return self._restored.pop(partition, [])

    def invalidate(self) -> None:
        """Forget every engine (partitions were assigned or revoked): rebuild on next use (which lists the
        patients to re-emit anew)."""
        self._engines.clear()
        self._restored.clear()

    def engine(self, partition: int) -> Engine:
        """The engine of ``partition``, rebuilding all engines from the local table if needed."""
        engine = self._engines.get(partition)
        if engine is None:
            self._rebuild(partition)
            engine = self._engines[partition]
        return engine

    def flush(self) -> None:
        """Write the states every engine changed since the last flush."""
        for engine in self._engines.values():
            store = engine.store
            if isinstance(store, TableStore):
                store.flush()

    def _new(self, partition: int) -> Engine:
        store = TableStore(self.table, partition)
        store.defer_writes = self.defer_writes
        return Engine(self.masterdata, config=self.config, rules=self.rules, store=store)

    def _rebuild(self, wanted: int) -> None:
        fresh: dict[int, Engine] = {}
        loaded: list[tuple[int, str, Position | None]] = []
        for _key, value in self.table.items():
            data: dict[str, Any] = orjson.loads(value)
            partition = int(data["p"])
            if partition in self._engines:
                continue
            engine = fresh.get(partition)
            if engine is None:
                engine = fresh[partition] = self._new(partition)
            # Only the wake-up is read (the state stays in the table until it is due or its patient's next
            # event reads it): decoding every state made the scan ~10x slower and kept them all in memory.
            pseudonym, wake = PathwayState.stored_wake(data["s"])
            engine.register_wake(pseudonym, wake)
            where = data.get("i")
            loaded.append((partition, pseudonym, (int(where[0]), int(where[1])) if where else None))
        committed = self.committed(sorted(fresh)) if self.committed is not None and loaded else {}
        again = 0
        for partition, pseudonym, position in loaded:
            if needs_re_emit(partition, position, committed):
                self._restored.setdefault(partition, []).append(pseudonym)
                again += 1
        if loaded:
            log.info(
                "engines rebuilt",
                partitions=sorted(fresh),
                patients=len(loaded),
                to_re_emit=again,
                committed={
                    f"{code}/{partition}": offset for (code, partition), offset in sorted(committed.items())
                },
            )
        fresh.setdefault(wanted, self._new(wanted))
        self._engines.update(fresh)

    def store(self, partition: int) -> TableStore:
        """The table store of ``partition``'s engine."""
        store = self.engine(partition).store
        if not isinstance(store, TableStore):  # pragma: no cover - _new always makes one
            raise TypeError("engine without a TableStore")
        return store

    def __iter__(self) -> Iterator[tuple[int, Engine]]:
        return iter(list(self._engines.items()))

    @property
    def pending_deadlines(self) -> int:
        """Pending deadlines over all engines."""
        return sum(e.pending_deadlines for e in self._engines.values())


class DictTable(dict[bytes, bytes]):
    """A dict that satisfies :class:`KeyValueTable` (tests, replays without faust)."""
