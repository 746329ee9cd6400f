"""The beds processor behind the beds agent, and the absolute bed records the pathway agent sends it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from agents.bed_sync import BedSegmentRecord, restored_records, segment_records
from agents.beds import BedsProcessor
from agents.engines import DictTable, EngineSet
from hub.domain import BedDelta, EngineConfig, RuleBook
from hub.events import EventType
from hub.events.enums import UnitKind
from hub.events.outputs import MetricPeriod
from hub.masterdata import load_masterdata
from hub.synth.build import EventFactory

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
WARD = "HNT-LEV-MED"


def _segment(segment: str, start: datetime, end: datetime | None = None) -> BedSegmentRecord:
    return BedSegmentRecord(
        unit_id=WARD,
        unit_kind=UnitKind.WARD,
        hf="HNT",
        kommunenummer="5037",
        segment_id=segment,
        start=start,
        end=end,
    )


def _gone(segment: str) -> BedSegmentRecord:
    return BedSegmentRecord(unit_id=WARD, segment_id=segment, present=False)


def test_a_segment_sent_twice_is_counted_once() -> None:
    """The same segment state delivered twice (at-least-once after a crash) changes nothing the 2nd time."""
    beds = BedsProcessor(load_masterdata(), DictTable())
    assert beds.apply(_segment("s1", T))[-1].occupied == 1
    assert beds.apply(_segment("s1", T)) == []
    assert beds.apply(_segment("s2", T + timedelta(minutes=5)))[-1].occupied == 2


def test_a_replay_in_order_after_a_crash_ends_with_the_latest_state() -> None:
    """Records replayed from the committed offset (admission, then discharge) over a table that already has
    both end with the patient discharged, not admitted twice."""
    table = DictTable()
    beds = BedsProcessor(load_masterdata(), table)
    admitted, discharged = _segment("s1", T), _segment("s1", T, T + timedelta(hours=5))
    beds.apply(admitted)
    beds.apply(discharged)
    restarted = BedsProcessor(load_masterdata(), table)
    restarted.apply(admitted)
    live = restarted.apply(discharged)[-1]
    assert live.occupied == 0
    assert restarted.ledger.discharges(WARD, T.date()) == 1
    assert restarted.ledger.admissions(WARD, T.date()) == 1


def test_a_withdrawn_segment_leaves_no_trace_and_a_repeat_is_harmless() -> None:
    """A cancelled admission's withdrawal empties the bed; sent again it changes nothing."""
    beds = BedsProcessor(load_masterdata(), DictTable())
    beds.apply(_segment("s1", T))
    assert beds.apply(_gone("s1"))[-1].occupied == 0
    assert beds.apply(_gone("s1")) == []
    assert beds.ledger.admissions(WARD, T.date()) == 0


def test_state_survives_a_restart_from_the_table() -> None:
    """A new processor over the same table continues the counts and recognises segments it has."""
    table = DictTable()
    BedsProcessor(load_masterdata(), table).apply(_segment("s1", T))
    restarted = BedsProcessor(load_masterdata(), table)
    assert restarted.apply(_segment("s1", T)) == []
    live = restarted.apply(_segment("s2", T + timedelta(hours=2)))
    assert live[-1].period is MetricPeriod.LIVE
    assert live[-1].occupied == 2
    assert live[-1].capacity == 28
    assert any(r.period is MetricPeriod.HOUR for r in live)


def test_a_change_that_arrives_late_updates_the_newest_live_record() -> None:
    """Changes of one unit come from patients on different partitions, so they can arrive out of time
    order; the LIVE record with the newest time (what the board and readers take) holds the current count."""
    beds = BedsProcessor(load_masterdata(), DictTable())
    newest = beds.apply(_segment("s2", T + timedelta(minutes=20)))[-1]
    late = beds.apply(_segment("s1", T + timedelta(minutes=5)))[-1]
    assert late.period is MetricPeriod.LIVE
    assert late.metric_id == newest.metric_id  # overwrites the newest LIVE record (compacted topic)
    assert late.period_start == T + timedelta(minutes=20)
    assert late.occupied == 2


def _engines(table: DictTable) -> EngineSet:
    md = load_masterdata()
    return EngineSet(md, table, EngineConfig(), RuleBook.from_masterdata(md))


def _sent(engines: EngineSet, effects: list[object]) -> list[BedSegmentRecord]:
    """What the pathway agent sends for ``effects`` of partition 0 (withdrawals remembered as it does)."""
    store = engines.store(0)
    deltas = [e for e in effects if isinstance(e, BedDelta)]
    records, gone = segment_records(deltas, lambda p: s.segments if (s := store.get(p)) else {})
    for pseudonym, places in gone.items():
        store.note_withdrawals(pseudonym, places)
    return records


def _re_sent(engines: EngineSet) -> list[BedSegmentRecord]:
    """What a restarted pathway agent sends again for the patients restored into partition 0."""
    store = engines.store(0)
    out: list[BedSegmentRecord] = []
    for pseudonym in engines.take_restored(0):
        state = store.get(pseudonym)
        out += restored_records(state.segments if state else {}, store.withdrawals(pseudonym))
    return out


def test_a_bed_record_lost_in_a_crash_is_sent_again_after_the_restart() -> None:
    """The table has the admission, its bed record never reached the beds agent (crash before the send):
    the restarted worker sends the segment again, and the unit counts the patient once."""
    table = DictTable()
    f = EventFactory("pseudo-patient-0001")
    engines = _engines(table)
    engines.engine(0)
    _sent(engines, engines.engine(0).apply(f.admitted(T, "E1")))  # sent ... and lost
    beds = BedsProcessor(load_masterdata(), DictTable())
    restarted = _engines(table)
    restarted.engine(0)
    for rec in _re_sent(restarted):
        beds.apply(rec)
    assert beds.ledger.occupied(WARD) == 1
    for rec in _re_sent(_engines(table)) + _re_sent(_engines(table)):  # again: still once
        beds.apply(rec)
    assert beds.ledger.occupied(WARD) == 1


def test_a_withdrawal_lost_in_a_crash_is_sent_again_after_the_restart() -> None:
    """Admission sent, its cancellation's withdrawal lost: the segment is gone from the state, but the
    patient's table value remembers the withdrawal and the restarted worker sends it, so the bed is freed."""
    table = DictTable()
    f = EventFactory("pseudo-patient-0001")
    engines = _engines(table)
    beds = BedsProcessor(load_masterdata(), DictTable())
    for rec in _sent(engines, engines.engine(0).apply(f.admitted(T, "E1"))):
        beds.apply(rec)
    assert beds.ledger.occupied(WARD) == 1
    cancel = f.episode_event(EventType.ADMISSION_CANCELLED, T + timedelta(hours=1), "E1")
    lost = _sent(engines, engines.engine(0).apply(cancel))
    assert [r.present for r in lost] == [False]
    restarted = _engines(table)
    restarted.engine(0)
    for rec in _re_sent(restarted):
        beds.apply(rec)
    assert beds.ledger.occupied(WARD) == 0
    assert beds.ledger.admissions(WARD, T.date()) == 0


def test_segments_stored_before_owners_were_recorded_change_nothing() -> None:
    """State written by the previous version has segments without owner: read back, they equal the newly
    derived ones but for the owner, which gives no deltas (no bed counted again after the upgrade)."""
    from hub.domain import BedSegment
    from hub.domain.beds import diff_segments

    new = BedSegment("s1", WARD, "WARD", "HNT", "5037", 100, None, True, True, owner="p1")
    old = BedSegment.from_list(new.to_list()[:9])
    assert old.owner is None
    assert diff_segments({"s1": old}, {"s1": new}) == []
    assert BedSegment.from_list(new.to_list()) == new


def _random_changes(n: int, seed: int) -> list[BedSegmentRecord]:
    """Admissions, discharges, re-sends, withdrawals and segments of two years (the 400-day horizon drops)."""
    import random

    rng = random.Random(seed)
    out: list[BedSegmentRecord] = []
    open_: dict[str, datetime] = {}
    for i in range(n):
        roll = rng.random()
        if roll < 0.45 or not open_:
            sid = f"s{i}"
            open_[sid] = T + timedelta(hours=rng.randrange(0, 2 * 365 * 24))
            out.append(_segment(sid, open_[sid]))
        elif roll < 0.85:
            sid = rng.choice(sorted(open_))
            start = open_.pop(sid)
            out.append(_segment(sid, start, start + timedelta(hours=rng.randrange(1, 300))))
        elif roll < 0.95:
            out.append(out[rng.randrange(len(out))])  # re-delivered
        else:
            out.append(_gone(rng.choice(sorted(open_))))
    return out


def test_writing_each_changed_unit_once_per_batch_leaves_what_a_write_per_change_leaves() -> None:
    """The beds stage defers the unit's table write to the end of its batch: the outputs and, after each
    batch, the table are those of a write after every change, and a restart from either table goes on the
    same way (the horizon's drops included)."""
    changes = _random_changes(1200, seed=3)
    # last in its batch, a repeat of the record before it that names another HF: it changes nothing, so only
    # the meta in memory follows it, not the table
    changes[699:699] = [changes[698].model_copy(update={"hf": "OTHER-HF"})]
    md = load_masterdata()
    each, batched = DictTable(), DictTable()
    immediate, deferred = BedsProcessor(md, each), BedsProcessor(md, batched)
    deferred.defer_writes = True
    for start in range(0, len(changes), 100):
        chunk = changes[start : start + 100]
        assert [immediate.apply(c) for c in chunk] == [deferred.apply(c) for c in chunk]
        deferred.flush()
        assert dict(batched.items()) == dict(each.items())
    stored = dict(each.items())[WARD.encode()]
    kept = json.loads(stored)["segments"]
    last = {c.segment_id: c for c in changes}
    present = {sid for sid, c in last.items() if c.present}
    assert set(kept) < present
    assert len(present) - len(kept) > 50, "the 400-day horizon dropped segments (and the heap found them)"
    restarted = [BedsProcessor(md, table) for table in (each, batched)]
    more = _random_changes(200, seed=4)
    assert [restarted[0].apply(c) for c in more] == [restarted[1].apply(c) for c in more]
