"""Tests of the per-partition engines over a key/value table (what the faust table stands behind)."""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
import pytest

from agents.engines import DictTable, EngineSet, decode_state
from hub.domain import AvvikUpsert, EngineConfig, PathwayState, RuleBook
from hub.events import Event, EventType
from hub.masterdata import load_masterdata
from hub.synth import SynthConfig, generate
from tests.factories import BASE_TIME, example_event


def _engines(table: DictTable) -> EngineSet:
    md = load_masterdata()
    return EngineSet(md, table, EngineConfig(), RuleBook.from_masterdata(md))


def _codes(effects: list[object]) -> list[tuple[str, str]]:
    return [(e.record.code, e.record.status.value) for e in effects if isinstance(e, AvvikUpsert)]


def test_state_is_written_to_the_table_with_its_partition() -> None:
    """Applying an event stores the patient's state in the table, tagged with the partition."""
    table = DictTable()
    engines = _engines(table)
    engines.engine(2).apply(example_event(EventType.ADMITTED, pseudonym="P" * 32))
    partition, state = decode_state(table[b"P" * 32])
    assert partition == 2
    assert state.pseudonym == "P" * 32
    assert state.facts


def test_deadlines_survive_a_restart() -> None:
    """A worker restarted from the table still fires SA01 for an admission that was never notified."""
    table = DictTable()
    first = _engines(table)
    admitted = example_event(EventType.ADMITTED, pseudonym="Q" * 32)  # patient born 1941: aged >= 75
    first.engine(1).apply(admitted)
    assert _codes(first.engine(1).advance(BASE_TIME + timedelta(hours=1))) == []

    restarted = _engines(table)  # a new process: engines rebuilt from the table alone
    engine = restarted.engine(1)
    assert engine.pending_deadlines == 1
    fired = _codes(engine.advance(BASE_TIME + timedelta(hours=25)))
    assert ("SA01", "OPEN") in fired


def test_rebuild_assigns_states_to_their_own_partition() -> None:
    """After a rebuild each engine holds only the deadlines of its own partition's patients."""
    table = DictTable()
    engines = _engines(table)
    engines.engine(0).apply(example_event(EventType.ADMITTED, pseudonym="A" * 32))
    engines.engine(3).apply(example_event(EventType.ADMITTED, pseudonym="B" * 32))
    rebuilt = _engines(table)
    assert rebuilt.engine(0).pending_deadlines == 1
    assert rebuilt.engine(3).pending_deadlines == 1
    assert rebuilt.engine(5).pending_deadlines == 0
    assert rebuilt.pending_deadlines == 2


def test_rebuild_does_not_rewrite_the_table() -> None:
    """Loading states into engines does not write them back (no changelog traffic on rebalance)."""

    class CountingTable(DictTable):
        writes = 0

        def __setitem__(self, key: bytes, value: bytes) -> None:
            CountingTable.writes += 1
            super().__setitem__(key, value)

    table = CountingTable()
    _engines(table).engine(0).apply(example_event(EventType.ADMITTED, pseudonym="C" * 32))
    before = CountingTable.writes
    _engines(table).engine(0)
    assert CountingTable.writes == before


def test_a_rebuilt_engine_can_re_emit_every_restored_patient_once() -> None:
    """After a rebuild the restored patients are listed once; their snapshot repeats their avvik records."""
    table = DictTable()
    first = _engines(table)
    first.engine(1).apply(example_event(EventType.ADMITTED, pseudonym="R" * 32))
    emitted = [
        e for e in first.engine(1).advance(BASE_TIME + timedelta(hours=25)) if isinstance(e, AvvikUpsert)
    ]
    assert emitted

    restarted = _engines(table)
    engine = restarted.engine(1)
    assert restarted.take_restored(1) == ["R" * 32]
    assert restarted.take_restored(1) == []
    snapshot = engine.snapshot("R" * 32)
    again = {e.record.avvik_id: e.record for e in snapshot if isinstance(e, AvvikUpsert)}
    assert again == {e.record.avvik_id: e.record for e in emitted}
    assert engine.snapshot("nobody-here") == []


def test_a_rebuild_re_emits_only_patients_changed_at_or_after_the_committed_offset() -> None:
    """A commit comes only after every output before it was confirmed: a patient last changed by an
    earlier record has its outputs out there; one changed at or after the commit may not (the crash came
    between its table write and its outputs), nor one whose value does not say (written before positions)."""
    from agents.engines import EVENTS_INPUT, TICKS_INPUT

    table = DictTable()
    first = _engines(table)
    store = first.store(0)
    for offset, name in enumerate("ABCD"):
        store.position = (EVENTS_INPUT, offset)
        first.engine(0).apply(example_event(EventType.ADMITTED, pseudonym=name * 32))
    store.position = (TICKS_INPUT, 7)
    first.engine(0).advance(BASE_TIME + timedelta(hours=25))  # the tick judges A-D: each written at ticks@7
    store.position = (EVENTS_INPUT, 4)
    first.engine(0).apply(example_event(EventType.ADMITTED, pseudonym="E" * 32))
    store.position = None  # as a worker before positions wrote it
    first.engine(0).apply(example_event(EventType.ADMITTED, pseudonym="F" * 32))
    assert b'"i":' not in table[b"F" * 32]
    assert b'"i":[0,4]' in table[b"E" * 32]
    asked: list[list[int]] = []

    def committed(partitions: object) -> dict[tuple[int, int], int]:
        asked.append(list(partitions))  # type: ignore[call-overload]
        return {(EVENTS_INPUT, 0): 4, (TICKS_INPUT, 0): 8}

    restarted = _engines(table)
    restarted.committed = committed
    restarted.engine(0)
    assert sorted(restarted.take_restored(0)) == ["E" * 32, "F" * 32]  # E at events@4 (not committed); F: ?
    assert asked == [[0]]

    behind = _engines(table)  # the commit did not yet pass the tick: A-D may lack the tick's avvik
    behind.committed = lambda partitions: {(EVENTS_INPUT, 0): 5, (TICKS_INPUT, 0): 7}
    behind.engine(0)
    assert sorted(behind.take_restored(0)) == [n * 32 for n in "ABCDF"]

    unknown = _engines(table)  # no committed offsets at all: everyone
    unknown.engine(0)
    assert len(unknown.take_restored(0)) == 6


def _through(
    engines: EngineSet, events: list[Event], clock: datetime | None
) -> tuple[list[object], datetime]:
    """Events through three partitions' engines, the clock advanced to each new event time; the effects."""
    effects: list[object] = []
    for event in events:
        if event.patient is None:
            continue
        partition = sum(event.patient.pseudonym.encode()) % 3
        effects.extend(engines.engine(partition).apply(event))
        if clock is None or event.occurred_at > clock:
            clock = event.occurred_at
            for _, engine in engines:
                effects.extend(engine.advance(clock))
    assert clock is not None
    return effects, clock


def test_a_rebuild_reads_only_the_wake_ups_and_the_restored_engines_judge_as_the_uninterrupted() -> None:
    """A rebuild decodes no state (a million of them took minutes and gigabytes); the states are read when
    their wake-up is due or their patient's next event comes, and every output from then on equals the
    uninterrupted engines'."""
    region = list(generate(load_masterdata(), SynthConfig(seed=7), 6_000))
    table = DictTable()
    running = _engines(table)
    _, clock = _through(running, region[:3_000], None)
    for value in table.values():
        data = orjson.loads(value)
        _, state = decode_state(value)
        assert PathwayState.stored_wake(data["s"]) == (state.pseudonym, state.next_wake())
    restarted = _engines(DictTable(table))
    decoded = []
    original = PathwayState.from_dict

    def counting(data: dict[str, object]) -> PathwayState:
        decoded.append(data)
        return original(data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PathwayState, "from_dict", staticmethod(counting))
        for partition in range(3):
            restarted.engine(partition)
    assert decoded == []
    assert restarted.pending_deadlines == running.pending_deadlines > 20
    want, _ = _through(running, region[3_000:], clock)
    got, _ = _through(restarted, region[3_000:], clock)
    assert len(want) > 1_000
    assert got == want
