"""Bed accounting per unit for the beds agent: each unit's bed segments, folded into a ``BedLedger``.

The table (key: unit id) keeps each unit's segments as they were last sent (absolute: start, end, first and
last in stay; see :mod:`agents.bed_sync`) and its capacity, as JSON; a restarted worker rebuilds a unit's
ledger from them on first use. A record replaces the unit's copy of its segment and the ledger takes the
difference, so a record applied twice, or an older one replayed before a newer one, leaves the same counts.
Records out: a LIVE snapshot after each change, and HOUR, DAY and midnight CENSUS snapshots when a change
crosses an hour or day boundary (Europe/Oslo days). Metric ids are deterministic, so replays overwrite.
Prometheus gauges are exported only for units in master data (bounded label sets). No faust import here.
"""

from __future__ import annotations

import heapq
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.bed_sync import BedSegmentRecord
from agents.engines import KeyValueTable
from hub.domain import BedLedger, BedSegment
from hub.domain.beds import segment_deltas
from hub.events.enums import UnitKind
from hub.events.outputs import BedMetricsRecord, MetricPeriod, MetricScope
from hub.masterdata.model import MasterData
from hub.observability.metrics import HubMetrics, UnitLabels

OSLO = ZoneInfo("Europe/Oslo")
KEEP = timedelta(days=400)
"""Segments that ended this long before the unit's newest change are dropped from the table."""

Row = list[Any]
"""A stored segment: ``[start epoch, end epoch or None, first in stay, last in stay]``."""


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _oslo_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=OSLO).astimezone(UTC)


def _row(rec: BedSegmentRecord) -> Row | None:
    if not rec.present or rec.start is None:
        return None
    return [
        _epoch(rec.start),
        None if rec.end is None else _epoch(rec.end),
        rec.first_in_stay,
        rec.last_in_stay,
    ]


class BedsProcessor:
    """One ledger for the units of this worker's partitions, persisted per unit in a table."""

    def __init__(self, masterdata: MasterData, table: KeyValueTable) -> None:
        self.masterdata = masterdata
        self.table = table
        self.ledger = BedLedger()
        self._loaded: dict[str, dict[str, Any]] = {}
        self._ends: dict[str, list[tuple[int, str]]] = {}
        """Per unit, the ends of its stored segments (a heap; stale entries are skipped): what the horizon
        drops is found without a pass over every segment the unit keeps."""
        self.defer_writes = False
        """When set (the beds stage), :meth:`apply` only marks a unit changed and :meth:`flush` writes each
        changed unit once: a unit's value holds a year of segments, so writing it per change was quadratic."""
        self._dirty: dict[str, list[Any]] = {}
        """Units changed since the last flush, with their meta as of their last change: a record that changes
        nothing still updates the meta in memory, but (as with a write per change) never the table's."""

    def invalidate(self) -> None:
        """Forget the in-memory ledger (rebalance); units reload from the table on next use."""
        self.ledger = BedLedger()
        self._loaded.clear()
        self._ends.clear()
        self._dirty.clear()

    def flush(self) -> None:
        """Write every unit changed since the last flush to the table (its value as after its last change)."""
        for unit_id in sorted(self._dirty):
            self._write(unit_id, self._dirty[unit_id])
        self._dirty.clear()

    def _write(self, unit_id: str, meta: list[Any]) -> None:
        doc = {**self._loaded[unit_id], "meta": meta}
        self.table[unit_id.encode()] = json.dumps(doc, separators=(",", ":")).encode()

    def _unit_doc(self, unit_id: str) -> dict[str, Any]:
        doc = self._loaded.get(unit_id)
        if doc is not None:
            return doc
        raw = self.table.get(unit_id.encode())
        doc = json.loads(raw) if raw else {}
        if "segments" not in doc:  # new, or kept as deltas before 0.2: rebuilt from the re-sent segments
            doc = {
                "segments": {},
                "capacity": doc.get("capacity", []),
                "last": None,
                "meta": [None, None, None],
            }
        for sid, row in doc["segments"].items():
            self.ledger.apply_all(segment_deltas(None, self._segment(unit_id, doc["meta"], sid, row)))
        for valid_from, beds in doc["capacity"]:
            self.ledger.set_capacity(unit_id, beds, date.fromisoformat(valid_from), doc["meta"][0])
        unit = self.masterdata.unit(unit_id)
        if unit is not None and unit.beds is not None and not doc["capacity"]:
            self.ledger.set_capacity(unit_id, unit.beds, unit.valid_from, unit.kind.value)
        self._loaded[unit_id] = doc
        ends = [(row[1], sid) for sid, row in doc["segments"].items() if row[1] is not None]
        heapq.heapify(ends)
        self._ends[unit_id] = ends
        return doc

    @staticmethod
    def _segment(unit_id: str, meta: list[Any], segment_id: str, row: Row | None) -> BedSegment | None:
        if row is None:
            return None
        start, end, first, last = row
        return BedSegment(segment_id, unit_id, meta[0], meta[1], meta[2], start, end, first, last)

    def _store_segment(
        self, unit_id: str, segments: dict[str, Row], sid: str, row: Row | None, horizon: int
    ) -> None:
        """The unit's copy of segment ``sid`` becomes ``row``; segments that ended before ``horizon`` go."""
        ends = self._ends[unit_id]
        if row is None:
            segments.pop(sid, None)
        else:
            segments[sid] = row
            if row[1] is not None:
                heapq.heappush(ends, (row[1], sid))
        while ends and ends[0][0] < horizon:
            _, old_sid = heapq.heappop(ends)
            old = segments.get(old_sid)
            if old is not None and old[1] is not None and old[1] < horizon:  # not a stale heap entry
                del segments[old_sid]

    def apply(self, change: BedSegmentRecord) -> list[BedMetricsRecord]:
        """Fold one record in; return the snapshot records to publish (none when it changed nothing)."""
        unit_id = change.unit_id
        doc = self._unit_doc(unit_id)
        meta = doc["meta"]
        meta[0] = change.unit_kind.value if change.unit_kind else meta[0]
        meta[1] = change.hf or meta[1]
        meta[2] = change.kommunenummer or meta[2]
        last = datetime.fromtimestamp(doc["last"], UTC) if doc["last"] is not None else None
        if change.capacity is not None and change.capacity_from is not None:
            self.ledger.set_capacity(unit_id, change.capacity, change.capacity_from, meta[0])
            doc["capacity"] = [c for c in doc["capacity"] if c[0] != change.capacity_from.isoformat()]
            doc["capacity"].append([change.capacity_from.isoformat(), change.capacity])
            at = _oslo_midnight(change.capacity_from)
        elif change.segment_id is not None:
            sid = change.segment_id
            before, after = doc["segments"].get(sid), _row(change)
            if before == after:
                return []  # re-delivered or re-sent: the unit already has the segment as it is
            old = self._segment(unit_id, meta, sid, before)
            new = self._segment(unit_id, meta, sid, after)
            self.ledger.apply_all(segment_deltas(old, new))
            at = datetime.fromtimestamp(max(t for row in (before, after) if row for t in row[:2] if t), UTC)
            self._store_segment(unit_id, doc["segments"], sid, after, _epoch(at - KEEP))
        else:
            return []
        records: list[BedMetricsRecord] = []
        if last is not None and at > last:
            records.extend(self._periods(unit_id, meta, last, at))
        if last is None or at > last:
            doc["last"] = _epoch(at)
        if self.defer_writes:
            self._dirty[unit_id] = list(meta)
        else:
            self._write(unit_id, meta)
        # the current count, as of the unit's newest change: a change that arrives after a newer one (patients
        # on other partitions) updates that newest LIVE record instead of writing an older, stale-looking one
        live_at = at if last is None or at > last else last
        records.append(self._snapshot(unit_id, meta, MetricPeriod.LIVE, live_at, None))
        return records

    def _periods(
        self, unit_id: str, meta: list[Any], last: datetime, now: datetime
    ) -> list[BedMetricsRecord]:
        out: list[BedMetricsRecord] = []
        hour = last.replace(minute=0, second=0, microsecond=0)
        end = hour + timedelta(hours=1)
        steps = 0
        while end <= now and steps < 48:  # at most two days of hourly records after a long quiet spell
            out.append(self._snapshot(unit_id, meta, MetricPeriod.HOUR, hour, end))
            hour, end, steps = end, end + timedelta(hours=1), steps + 1
        day = last.astimezone(OSLO).date()
        while _oslo_midnight(day + timedelta(days=1)) <= now:
            midnight = _oslo_midnight(day + timedelta(days=1))
            out.append(self._snapshot(unit_id, meta, MetricPeriod.DAY, _oslo_midnight(day), midnight))
            out.append(self._snapshot(unit_id, meta, MetricPeriod.CENSUS, midnight, None))
            day += timedelta(days=1)
        return out

    def _snapshot(
        self, unit_id: str, meta: list[Any], period: MetricPeriod, start: datetime, end: datetime | None
    ) -> BedMetricsRecord:
        ledger = self.ledger
        day = start.astimezone(OSLO).date()
        if period is MetricPeriod.CENSUS:
            occupied = ledger.census(unit_id, start)
        elif end is not None:
            occupied = ledger.census(unit_id, end)
        else:
            occupied = ledger.occupied(unit_id)
        window_start = _oslo_midnight(day) if period is MetricPeriod.LIVE else start
        window_end = end or start
        bed_days = ledger.bed_days(unit_id, window_start, window_end) if window_end > window_start else 0.0
        belegg = ledger.belegg(unit_id, window_start, window_end) if window_end > window_start else None
        los = ledger.mean_los_days(unit_id)
        kind = meta[0]
        kommune = meta[2]
        return BedMetricsRecord(
            metric_id=f"{MetricScope.UNIT.value}:{unit_id}:{period.value}:{start.isoformat()}",
            scope=MetricScope.UNIT,
            scope_id=unit_id,
            unit_kind=UnitKind(kind) if kind in UnitKind.__members__ else None,
            hf=meta[1],
            kommune=kommune,
            helsefellesskap=self.masterdata.helsefellesskap_for_kommune(kommune, day)
            or self.masterdata.helsefellesskap_for_hf(meta[1]),
            period=period,
            period_start=start,
            period_end=end,
            occupied=occupied,
            capacity=ledger.capacity(unit_id, day),
            belegg=belegg,
            admissions=ledger.admissions(unit_id, day),
            discharges=ledger.discharges(unit_id, day),
            bed_days=bed_days,
            avg_length_of_stay_hours=None if los is None else los * 24,
        )

    def export(self, record: BedMetricsRecord, metrics: HubMetrics) -> None:
        """Set the Prometheus gauges of a LIVE unit record (units in master data only)."""
        if record.period is not MetricPeriod.LIVE:
            return
        unit = self.masterdata.unit(record.scope_id)
        if unit is None or unit.kommunenummer is None:
            return
        labels = UnitLabels(unit.unit_id, unit.kind, unit.kommunenummer, unit.hf_id or "")
        capacity = record.capacity or 0
        occupied = max(record.occupied, 0)
        ratio = occupied / capacity if capacity else 0.0
        metrics.set_bed_state(labels, occupied=occupied, capacity=capacity, occupancy_ratio=ratio)
