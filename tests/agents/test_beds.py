"""Tests of the beds processor behind the beds agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.beds import BedsProcessor
from agents.engines import DictTable
from hub.events.enums import UnitKind
from hub.events.internal import BedChange
from hub.events.outputs import MetricPeriod
from hub.masterdata import load_masterdata

T = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)


def _arrive(segment: str, at: datetime) -> BedChange:
    return BedChange(
        unit_id="HNT-LEV-MED",
        unit_kind=UnitKind.WARD,
        hf="HNT",
        kommunenummer="5037",
        at=at,
        delta=1,
        movement="ADMISSION",
        segment_id=segment,
        segment_start=at,
    )


def test_occupancy_counts_each_change_once_even_when_redelivered() -> None:
    """A bed change delivered twice (at-least-once after a crash) is counted once."""
    beds = BedsProcessor(load_masterdata(), DictTable())
    first = beds.apply(_arrive("s1", T))
    assert first[-1].occupied == 1
    assert beds.apply(_arrive("s1", T)) == []  # the same change again
    assert beds.apply(_arrive("s2", T + timedelta(minutes=5)))[-1].occupied == 2


def test_state_survives_a_restart_from_the_table() -> None:
    """A new processor over the same table continues the counts and still recognises old changes."""
    table = DictTable()
    BedsProcessor(load_masterdata(), table).apply(_arrive("s1", T))
    restarted = BedsProcessor(load_masterdata(), table)
    assert restarted.apply(_arrive("s1", T)) == []
    live = restarted.apply(_arrive("s2", T + timedelta(hours=2)))
    assert live[-1].period is MetricPeriod.LIVE
    assert live[-1].occupied == 2
    assert live[-1].capacity == 28
    assert any(r.period is MetricPeriod.HOUR for r in live)


def test_a_change_that_arrives_late_updates_the_newest_live_record() -> None:
    """Changes of one unit come from patients on different partitions, so they can arrive out of time
    order; the LIVE record with the newest time (what the board and readers take) holds the current count."""
    beds = BedsProcessor(load_masterdata(), DictTable())
    newest = beds.apply(_arrive("s2", T + timedelta(minutes=20)))[-1]
    late = beds.apply(_arrive("s1", T + timedelta(minutes=5)))[-1]
    assert late.period is MetricPeriod.LIVE
    assert late.metric_id == newest.metric_id  # overwrites the newest LIVE record (compacted topic)
    assert late.period_start == T + timedelta(minutes=20)
    assert late.occupied == 2
