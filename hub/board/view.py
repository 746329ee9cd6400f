"""The live board's view model: a pure aggregator of the hub's output records (no Kafka, no HTTP, no clock).

Feed it decoded records with ``apply_*`` and ask for :meth:`BoardState.snapshot` with an explicit ``now``.
The snapshot is a JSON-able dict with no patient identifiers: pseudonyms, pathway ids and evidence ids stay
inside the aggregator (they are only used as keys).

Time: ages and windows are measured from a *reference time*. It is ``now``, except when the data are history
(the newest event time is more than :data:`HISTORY_LAG` behind ``now``, e.g. a replay of 2024) — then it is
the newest event time, so ages read as they did at the time. Sparklines cover event time, from the earliest
record seen (at most :data:`SPARK_LONGEST` back) to the reference time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hub.board.ambulance import AmbulanceResponses
from hub.board.labels import (
    AVVIK_NAMES,
    SEVERITY_LABELS,
    UNIT_KIND_LABELS,
    group_of,
)
from hub.board.series import StepSeries, bucket_ends, spark_window
from hub.events import Event, UnitKind
from hub.events.outputs import (
    AvvikRecord,
    AvvikStatus,
    BedMetricsRecord,
    MetricPeriod,
    MetricScope,
    PathwayStateRecord,
)
from hub.masterdata import MasterData

HISTORY_LAG = timedelta(hours=6)
SPARK_POINTS = 40
SPARK_LONGEST = timedelta(hours=24)
SPARK_SHORTEST = timedelta(minutes=10)
RECENTLY_RESOLVED = timedelta(hours=24)
LIST_LIMIT = 40
KOMMUNE_LIMIT = 30
WAITING_PHASE = "UTSKRIVNINGSKLAR"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNKNOWN_KOMMUNE = "ukjent"


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """Master-data facts about a unit: display name, kind and capacity (when known)."""

    name: str
    kind: UnitKind | None = None
    capacity: int | None = None


@dataclass(frozen=True, slots=True)
class BoardNames:
    """Display names from master data; everything is optional (the records carry ids)."""

    kommuner: Mapping[str, str] = field(default_factory=dict)
    helsefellesskap: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, UnitInfo] = field(default_factory=dict)
    assumed_dognpris_years: tuple[int, ...] = ()
    """Years whose døgnpris is a configured assumption (``dognpris.csv`` basis), not a published figure."""

    @classmethod
    def from_masterdata(cls, data: MasterData) -> BoardNames:
        """Names of kommuner (newest row per number), helsefellesskap and units; assumed døgnpris years."""
        kommuner = {row.kommunenummer: row.name for row in sorted(data.kommuner, key=lambda r: r.valid_from)}
        return cls(
            kommuner=kommuner,
            helsefellesskap={key: hf.name for key, hf in data.helsefellesskap.items()},
            units={key: UnitInfo(u.name, u.kind, u.beds) for key, u in data.units.items()},
            assumed_dognpris_years=data.assumed_dognpris_years(),
        )


def reference_time(now: datetime, watermark: datetime | None) -> tuple[datetime, bool]:
    """The instant ages are measured from, and whether it is event time (history) rather than ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    if watermark is None:
        return now, False
    if now - watermark > HISTORY_LAG:
        return watermark, True
    return max(now, watermark), False


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class BoardState:
    """Latest facts from the output topics, aggregated for the board."""

    def __init__(
        self, names: BoardNames | None = None, *, history_limit: int = 500, mission_limit: int = 20_000
    ):
        self.names = names or BoardNames()
        self._history_limit = history_limit
        self._avvik: dict[str, AvvikRecord] = {}
        self._units: dict[str, BedMetricsRecord] = {}
        self._unit_history: dict[str, StepSeries[tuple[int, int | None]]] = {}
        self._kommune_live: dict[str, BedMetricsRecord] = {}
        self._pathways: dict[str, StepSeries[tuple[str, str | None]]] = {}
        self._waiting_since: dict[str, tuple[datetime, str | None]] = {}
        """Pseudonym -> (utskrivningsklar since, oppholdskommune) of patients waiting now (never shown)."""
        self._ambulance = AmbulanceResponses(mission_limit)
        self._earliest: datetime | None = None
        self._watermark: datetime | None = None
        self.version = 0
        """Increases with every applied record (lets shells tell whether anything changed)."""

    # -- input ---------------------------------------------------------------------------------------------

    def _seen(self, *moments: datetime | None) -> None:
        self.version += 1
        for moment in moments:
            if moment is None:
                continue
            if self._watermark is None or moment > self._watermark:
                self._watermark = moment
            if self._earliest is None or moment < self._earliest:
                self._earliest = moment

    def apply_avvik(self, record: AvvikRecord) -> None:
        """Keep the latest version of each avvik (compacted topic semantics: the last write wins)."""
        self._avvik[record.avvik_id] = record
        self._seen(record.detected_at, record.resolved_at)

    def apply_beds(self, record: BedMetricsRecord) -> None:
        """Keep the newest LIVE record per unit and per kommune, and the unit's occupancy history."""
        self._seen(record.period_start)
        if record.period is not MetricPeriod.LIVE:
            return
        if record.scope is MetricScope.UNIT:
            current = self._units.get(record.scope_id)
            if current is None or record.period_start >= current.period_start:
                self._units[record.scope_id] = record
            series = self._unit_history.setdefault(record.scope_id, StepSeries(self._history_limit))
            series.add(record.period_start, (record.occupied, self._capacity(record)))
        elif record.scope is MetricScope.KOMMUNE:
            current = self._kommune_live.get(record.scope_id)
            if current is None or record.period_start >= current.period_start:
                self._kommune_live[record.scope_id] = record

    def apply_pathway(self, record: PathwayStateRecord) -> None:
        """Track each patient's phase over time (only to count utskrivningsklare per kommune).

        The record's time is ``updated_at``, else its newest known instant, else the newest event time seen.
        """
        known = [
            t for t in (record.utskrivningsklar_since, record.started_at, record.ended_at) if t is not None
        ]
        at = record.updated_at or (max(known) if known else None) or self._watermark or EPOCH
        self._seen(record.updated_at)
        series = self._pathways.setdefault(record.pseudonym, StepSeries(8))
        series.add(at, (record.phase, record.oppholdskommune))
        if record.phase == WAITING_PHASE and record.utskrivningsklar_since is not None:
            self._waiting_since[record.pseudonym] = (record.utskrivningsklar_since, record.oppholdskommune)
        else:
            self._waiting_since.pop(record.pseudonym, None)

    def apply_event(self, event: Event) -> None:
        """Pair ambulance mission events (:mod:`hub.board.ambulance`); every event advances event time."""
        self._seen(event.occurred_at)
        self._ambulance.apply(event)

    def remove_avvik(self, avvik_id: str) -> None:
        """Forget an avvik (a tombstone on the compacted topic)."""
        if self._avvik.pop(avvik_id, None) is not None:
            self.version += 1

    def remove_pathway(self, pseudonym: str) -> None:
        """Forget a patient's pathway (a tombstone on the compacted topic)."""
        self._waiting_since.pop(pseudonym, None)
        if self._pathways.pop(pseudonym, None) is not None:
            self.version += 1

    def apply_all(
        self, records: Iterable[AvvikRecord | BedMetricsRecord | PathwayStateRecord | Event]
    ) -> None:
        """Apply a batch of records of any of the four kinds."""
        for record in records:
            if isinstance(record, AvvikRecord):
                self.apply_avvik(record)
            elif isinstance(record, BedMetricsRecord):
                self.apply_beds(record)
            elif isinstance(record, PathwayStateRecord):
                self.apply_pathway(record)
            else:
                self.apply_event(record)

    # -- output --------------------------------------------------------------------------------------------

    def snapshot(self, now: datetime) -> dict[str, Any]:
        """The JSON-able view model as of ``now`` (see the module docstring for the reference time)."""
        reference, is_history = reference_time(now, self._watermark)
        units = self._unit_rows()
        waits = self._waiting_list(reference)
        kommuner = self._kommune_rows(waits)
        avvik = self._avvik_view(reference)
        ambulance = self._ambulance.view(reference)
        occupied = sum(u["occupied"] for u in units if u["capacity"])
        capacity = sum(u["capacity"] or 0 for u in units)
        return {
            "now": _iso(now),
            "reference_time": _iso(reference),
            "is_history": is_history,
            "watermark": _iso(self._watermark),
            "version": self.version,
            "totals": {
                "occupied": sum(u["occupied"] for u in units),
                "capacity": capacity,
                "belegg": _share(occupied, capacity),
                "units": len(units),
                "open_avvik": avvik["open_count"],
                "waiting": sum(k["waiting"] for k in kommuner),
                "overliggedogn": sum(k["overliggedogn"] for k in kommuner),
                "betalingsplikt_nok": round(sum(k["betalingsplikt_nok"] for k in kommuner), 2),
                "ambulance_akutt_share": ambulance["akutt_share"],
            },
            "unit_groups": self._group(units),
            "kommuner": kommuner[:KOMMUNE_LIMIT],
            "kommuner_total": len(kommuner),
            "waiting_list": waits[:LIST_LIMIT],
            "waiting_total": len(waits),
            "dognpris": self._dognpris_view(reference),
            "avvik": avvik,
            "ambulance": ambulance,
            "sparklines": self._sparklines(reference),
        }

    def _capacity(self, record: BedMetricsRecord) -> int | None:
        if record.capacity is not None:
            return record.capacity
        info = self.names.units.get(record.scope_id)
        return info.capacity if info else None

    def _unit_rows(self) -> list[dict[str, Any]]:
        rows = []
        for unit_id, record in sorted(self._units.items()):
            info = self.names.units.get(unit_id)
            kind = record.unit_kind or (info.kind if info else None)
            capacity = self._capacity(record)
            rows.append(
                {
                    "unit_id": unit_id,
                    "name": info.name if info else unit_id,
                    "kind": kind.value if kind else None,
                    "kind_label": UNIT_KIND_LABELS[kind] if kind else "Ukjent",
                    "kommune": record.kommune,
                    "hf": record.hf,
                    "occupied": record.occupied,
                    "capacity": capacity,
                    "belegg": _share(record.occupied, capacity) if capacity else None,
                    "utskrivningsklare": record.utskrivningsklare,
                    "updated_at": _iso(record.period_start),
                }
            )
        return rows

    @staticmethod
    def _group(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
        groups: dict[str, dict[str, Any]] = {}
        for unit in units:
            kind = UnitKind(unit["kind"]) if unit["kind"] else None
            key, label = group_of(kind)
            group = groups.setdefault(
                key, {"key": key, "label": label, "occupied": 0, "capacity": 0, "units": []}
            )
            group["units"].append(unit)
            group["occupied"] += unit["occupied"]
            group["capacity"] += unit["capacity"] or 0
        order = ["kad", "sykestue", "sykehus", "annet"]
        return sorted(groups.values(), key=lambda g: order.index(g["key"]))

    def _waiting_now(self) -> Counter[str]:
        waiting: Counter[str] = Counter()
        for series in self._pathways.values():
            latest = series.latest
            if latest is not None and latest[0] == WAITING_PHASE:
                waiting[latest[1] or UNKNOWN_KOMMUNE] += 1
        return waiting

    def _waiting_list(self, reference: datetime) -> list[dict[str, Any]]:
        """How long each utskrivningsklar patient has waited, longest first: kommune and hours only."""
        rows: list[dict[str, Any]] = []
        for since, kommune in self._waiting_since.values():
            key = kommune or UNKNOWN_KOMMUNE
            rows.append(
                {
                    "kommune": key,
                    "name": self.names.kommuner.get(key, "Ukjent kommune" if key == UNKNOWN_KOMMUNE else key),
                    "since": _iso(since),
                    "hours": round(max(0.0, (reference - since).total_seconds() / 3600), 1),
                }
            )
        rows.sort(key=lambda r: (-r["hours"], r["kommune"]))
        return rows

    def _dognpris_view(self, reference: datetime) -> dict[str, Any]:
        """Which years' døgnpris are assumptions, and whether the amounts shown use one."""
        assumed = self.names.assumed_dognpris_years
        years = {reference.year} | {r.detected_at.year for r in self._avvik.values() if r.code == "SA05"}
        used = sorted(y for y in years if y in assumed)
        label = None
        if used:
            label = (
                "Antatt døgnpris for "
                + ", ".join(str(y) for y in used)
                + " (siste offisielle pris videreført)"
            )
        return {"assumed_years": list(assumed), "applies": bool(used), "label": label}

    def _kommune_rows(self, waits: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        longest: dict[str, float] = {}
        for row in waits or []:
            longest[row["kommune"]] = max(longest.get(row["kommune"], 0.0), row["hours"])
        waiting = self._waiting_now()
        days: Counter[str] = Counter()
        nok: dict[str, float] = {}
        open_avvik: Counter[str] = Counter()
        for record in self._avvik.values():
            kommune = record.kommune or UNKNOWN_KOMMUNE
            if record.status is AvvikStatus.OPEN:
                open_avvik[kommune] += 1
            if record.code == "SA05" and record.status is not AvvikStatus.RETRACTED:
                days[kommune] += record.overliggedogn or 0
                nok[kommune] = nok.get(kommune, 0.0) + (record.betalingsplikt_nok or 0.0)
        has_pathways = bool(self._pathways)
        rows: list[dict[str, Any]] = []
        for kommune in set(waiting) | set(days) | set(open_avvik) | set(self._kommune_live):
            live = self._kommune_live.get(kommune)
            row_waiting = waiting[kommune] if has_pathways or live is None else live.utskrivningsklare
            row_days, row_nok = days[kommune], nok.get(kommune, 0.0)
            if kommune not in days and live is not None:
                row_days, row_nok = live.overliggedogn, live.betalingsplikt_nok
            rows.append(
                {
                    "kommune": kommune,
                    "name": self.names.kommuner.get(
                        kommune, "Ukjent kommune" if kommune == UNKNOWN_KOMMUNE else kommune
                    ),
                    "waiting": row_waiting,
                    "longest_wait_hours": longest.get(kommune),
                    "overliggedogn": row_days,
                    "betalingsplikt_nok": round(row_nok, 2),
                    "open_avvik": open_avvik[kommune],
                }
            )
        rows.sort(key=lambda r: (-r["waiting"], -r["betalingsplikt_nok"], -r["open_avvik"], r["kommune"]))
        return rows

    def _avvik_row(self, record: AvvikRecord, reference: datetime) -> dict[str, Any]:
        name = AVVIK_NAMES.get(record.code, record.code)
        return {
            "code": record.code,
            "name": name,
            "severity": record.severity.value,
            "severity_label": SEVERITY_LABELS[record.severity.value],
            "status": record.status.value,
            "kommune": record.kommune,
            "kommune_name": self.names.kommuner.get(record.kommune or "", record.kommune),
            "helsefellesskap": record.helsefellesskap,
            "helsefellesskap_name": self.names.helsefellesskap.get(
                record.helsefellesskap or "", record.helsefellesskap
            ),
            "hf": record.hf,
            "detected_at": _iso(record.detected_at),
            "resolved_at": _iso(record.resolved_at),
            "age_seconds": max(0, int((reference - record.detected_at).total_seconds())),
            "resolved_seconds_ago": (
                max(0, int((reference - record.resolved_at).total_seconds())) if record.resolved_at else None
            ),
            # SA14 text is staff free text and may identify someone: show only the category they chose.
            "text": (record.category or name) if record.code == "SA14" else record.text_no,
            "overliggedogn": record.overliggedogn,
            "betalingsplikt_nok": record.betalingsplikt_nok,
        }

    def _avvik_view(self, reference: datetime) -> dict[str, Any]:
        open_records = [r for r in self._avvik.values() if r.status is AvvikStatus.OPEN]
        since = reference - RECENTLY_RESOLVED
        resolved = [
            r
            for r in self._avvik.values()
            if r.status is AvvikStatus.RESOLVED and (r.resolved_at or r.detected_at) >= since
        ]
        open_records.sort(key=lambda r: r.detected_at, reverse=True)
        resolved.sort(key=lambda r: r.resolved_at or r.detected_at, reverse=True)
        open_by_code = Counter(r.code for r in open_records)
        resolved_by_code = Counter(r.code for r in resolved)
        codes = sorted(set(AVVIK_NAMES) | set(open_by_code) | set(resolved_by_code))
        return {
            "open_count": len(open_records),
            "resolved_count": len(resolved),
            "retracted_count": sum(1 for r in self._avvik.values() if r.status is AvvikStatus.RETRACTED),
            "by_code": [
                {
                    "code": code,
                    "name": AVVIK_NAMES.get(code, code),
                    "open": open_by_code[code],
                    "resolved": resolved_by_code[code],
                }
                for code in codes
            ],
            "open": [self._avvik_row(r, reference) for r in open_records[:LIST_LIMIT]],
            "resolved": [self._avvik_row(r, reference) for r in resolved[:LIST_LIMIT]],
        }

    def _sparklines(self, reference: datetime) -> dict[str, Any]:
        start, end = spark_window(reference, self._earliest, longest=SPARK_LONGEST, shortest=SPARK_SHORTEST)
        ends = bucket_ends(start, end, SPARK_POINTS)
        occupied: list[int] = []
        belegg: list[float | None] = []
        per_unit: dict[str, list[int | None]] = {unit: [] for unit in self._unit_history}
        for moment in ends:
            total = with_capacity = capacity = 0
            for unit, series in self._unit_history.items():
                value = series.at(moment)
                per_unit[unit].append(value[0] if value else None)
                if value is None:
                    continue
                total += value[0]
                if value[1]:
                    with_capacity += value[0]
                    capacity += value[1]
            occupied.append(total)
            belegg.append(_share(with_capacity, capacity))
        return {
            "start": _iso(start),
            "end": _iso(end),
            "occupied": occupied,
            "belegg": belegg,
            "open_avvik": [self._open_at(moment) for moment in ends],
            "waiting": [self._waiting_at(moment) for moment in ends],
            "units": per_unit,
        }

    def _open_at(self, moment: datetime) -> int:
        count = 0
        for record in self._avvik.values():
            if record.status is AvvikStatus.RETRACTED or record.detected_at > moment:
                continue
            if record.status is AvvikStatus.RESOLVED and (
                record.resolved_at is None or record.resolved_at <= moment
            ):
                continue
            count += 1
        return count

    def _waiting_at(self, moment: datetime) -> int:
        count = 0
        for series in self._pathways.values():
            value = series.at(moment)
            if value is not None and value[0] == WAITING_PHASE:
                count += 1
        return count
