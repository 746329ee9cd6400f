"""Domain metrics of the stream worker: :class:`PipelineObserver` turns outputs and events into gauges.

The worker calls the hooks with what it already has in hand: every avvik record and pathway-state record it
publishes (:meth:`~PipelineObserver.on_avvik`, :meth:`~PipelineObserver.on_state`) and every canonical event
it decodes (:meth:`~PipelineObserver.on_event`). The observer keeps a small in-memory view and sets the
:class:`~hub.observability.metrics.HubMetrics` gauges. No faust or Kafka import here.

Definitions (per worker process: each worker sees the partitions it owns, so ``sum()`` over instances in
PromQL; the view starts empty when a process starts and is not rebuilt from the tables, so after a restart
or a rebalance the gauges cover what the process has handled since):

``hub_avvik_open{code, helsefellesskap}``
    Avvik whose latest record is ``OPEN``. Helsefellesskap ids not in master data become ``unknown`` (as
    the worker's ``hub_avvik_opened_total`` counters do).
``hub_overliggedogn`` / ``hub_betalingsplikt_nok{oppholdskommune}``
    Sums of ``overliggedogn`` and ``betalingsplikt_nok`` over the latest non-retracted SA05 record of each
    avvik id whose ``detected_at`` falls in the current calendar year (Europe/Oslo). "Current" is event
    time: the latest SA05 year seen; when a later year appears, the sums restart from zero.
``hub_utskrivningsklare_in_hospital{oppholdskommune}``
    Pseudonyms whose latest pathway state has phase ``UTSKRIVNINGSKLAR`` (a tombstone or any other phase
    removes them).
``hub_ambulance_response_seconds{hastegrad, area}``
    One observation per mission id: ON_SCENE ``occurred_at`` − CALL_RECEIVED ``occurred_at`` (either order
    of arrival; negative differences are dropped; CANCELLED forgets a pending mission). Hastegrad and area
    come from the CALL_RECEIVED event.
``hub_epikrise_within_1d_ratio{hf}``
    ``1 − late / discharges``, where *discharges* counts distinct (pseudonym, episode id) DISCHARGED
    events of the HF whose destination is not DEAD (DISCHARGE_CANCELLED takes one back), and *late* counts
    distinct SA07 avvik ids of the HF whose latest status is OPEN or RESOLVED (the epikrise was overdue
    after 1 day, whether or not it came later). A discharge counts as on time until its SA07 fires, so the
    figure is provisional for the last day. Clamped to [0, 1].
``hub_readmission_30d_ratio{hf}``
    ``readmissions / discharges`` with the same denominator and *readmissions* = distinct non-retracted
    SA09 avvik ids of the HF (the HF of the acute readmission). Clamped to [0, 1].

Both ratios are cumulative since the process started; a ratio is set only once the HF has a discharge.

Memory is bounded: every per-key map is an insertion-ordered dict capped at ``max_entries`` (default
100 000) whose oldest entry is dropped first, and a dropped entry is also taken out of the counts it fed
(so a gauge can under-count, never drift upwards). Only live entries are kept: open avvik, patients in
the UTSKRIVNINGSKLAR phase, missions waiting for ON_SCENE, SA05 records of the current year. Label values
come only from master data (kommunenummer valid on the record's date, HF ids, helsefellesskap ids) and
enums; records with unknown kommuner or HF are skipped.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

import structlog

from hub.domain.facts import HOSPITAL_TYPES
from hub.domain.organisations import resolve_hf
from hub.events import Event, EventType
from hub.events.bodies import Discharge, EpisodeRef, Mission
from hub.events.enums import AmbulanceHastegrad, Area, Place
from hub.events.outputs import AvvikRecord, AvvikStatus, PathwayStateRecord
from hub.masterdata.model import MasterData
from hub.observability.metrics import HubMetrics

__all__ = ["DEFAULT_MAX_ENTRIES", "UNKNOWN_HELSEFELLESSKAP", "PipelineObserver"]

log = structlog.get_logger(__name__)

OSLO = ZoneInfo("Europe/Oslo")
DEFAULT_MAX_ENTRIES = 100_000
UNKNOWN_HELSEFELLESSKAP = "unknown"
READY_PHASE = "UTSKRIVNINGSKLAR"

K = TypeVar("K")
V = TypeVar("V")


def _put(entries: OrderedDict[K, V], key: K, value: V, cap: int) -> list[tuple[K, V]]:
    """Insert or refresh ``key``; return the oldest entries dropped to stay within ``cap``."""
    entries[key] = value
    entries.move_to_end(key)
    dropped: list[tuple[K, V]] = []
    while len(entries) > cap:
        dropped.append(entries.popitem(last=False))
    return dropped


def _oslo_date(at: datetime) -> date:
    return at.astimezone(OSLO).date()


class PipelineObserver:
    """Keeps the latest avvik, pathway phases and ambulance missions in memory and sets domain gauges."""

    def __init__(
        self, metrics: HubMetrics, masterdata: MasterData, *, max_entries: int = DEFAULT_MAX_ENTRIES
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.metrics = metrics
        self.masterdata = masterdata
        self.max_entries = max_entries
        self._kommuner = frozenset(k.kommunenummer for k in masterdata.kommuner)
        # avvik id -> (code, helsefellesskap label) of avvik whose latest record is OPEN
        self._open: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._open_counts: Counter[tuple[str, str]] = Counter()
        # SA05 avvik id -> (oppholdskommune, days, NOK) for the current year
        self._sa05: OrderedDict[str, tuple[str, int, float]] = OrderedDict()
        self._sa05_year: int | None = None
        self._sa05_kommuner: set[str] = set()
        # pseudonym -> oppholdskommune of patients in the UTSKRIVNINGSKLAR phase
        self._ready: OrderedDict[str, str] = OrderedDict()
        self._ready_counts: Counter[str] = Counter()
        # ambulance: mission id -> (call time, hastegrad, area) waiting for ON_SCENE; ON_SCENE seen first
        self._calls: OrderedDict[str, tuple[datetime, AmbulanceHastegrad, Area]] = OrderedDict()
        self._early_on_scene: OrderedDict[str, datetime] = OrderedDict()
        self._missions_done: OrderedDict[str, None] = OrderedDict()
        # quality indicators: episode key -> HF of counted discharges; avvik id -> HF of SA07 / SA09
        self._discharges: OrderedDict[str, str] = OrderedDict()
        self._discharge_counts: Counter[str] = Counter()
        self._late_epikrise: OrderedDict[str, str] = OrderedDict()
        self._late_counts: Counter[str] = Counter()
        self._readmissions: OrderedDict[str, str] = OrderedDict()
        self._readmission_counts: Counter[str] = Counter()

    # Label helpers ------------------------------------------------------------------------------------------

    def _helsefellesskap(self, value: str | None) -> str:
        return value if value and value in self.masterdata.helsefellesskap else UNKNOWN_HELSEFELLESSKAP

    def _kommune(self, value: str | None, at: datetime | None) -> str | None:
        """``value`` if it is a kommunenummer of master data (valid on ``at`` when given), else None."""
        if not value or value not in self._kommuner:
            return None
        if at is not None and self.masterdata.kommune(value, _oslo_date(at)) is None:
            return None
        return value

    def _hf(self, value: str | None) -> str | None:
        return value if value and value in self.masterdata.helseforetak else None

    # Avvik --------------------------------------------------------------------------------------------------

    def on_avvik(self, rec: AvvikRecord) -> None:
        """Take the latest version of one avvik: open-avvik gauges, SA05 sums and quality ratios."""
        self._track_open(rec)
        if rec.code == "SA05":
            self._track_sa05(rec)
        elif rec.code == "SA07":
            self._track_quality(rec, self._late_epikrise, self._late_counts)
        elif rec.code == "SA09":
            self._track_quality(rec, self._readmissions, self._readmission_counts)

    def _track_open(self, rec: AvvikRecord) -> None:
        touched: set[tuple[str, str]] = set()
        previous = self._open.pop(rec.avvik_id, None)
        if previous is not None:
            self._open_counts[previous] -= 1
            touched.add(previous)
        if rec.status is AvvikStatus.OPEN:
            labels = (rec.code, self._helsefellesskap(rec.helsefellesskap))
            self._open_counts[labels] += 1
            touched.add(labels)
            for _, evicted in _put(self._open, rec.avvik_id, labels, self.max_entries):
                self._open_counts[evicted] -= 1
                touched.add(evicted)
        for code, hfs in touched:
            self.metrics.set_avvik_open(code, hfs, max(self._open_counts[(code, hfs)], 0))

    def _track_sa05(self, rec: AvvikRecord) -> None:
        year = rec.detected_at.astimezone(OSLO).year
        if self._sa05_year is not None and year < self._sa05_year:
            return
        touched: set[str] = set()
        if self._sa05_year is None or year > self._sa05_year:
            touched |= self._sa05_kommuner
            self._sa05.clear()
            self._sa05_year = year
        previous = self._sa05.pop(rec.avvik_id, None)
        if previous is not None:
            touched.add(previous[0])
        kommune = self._kommune(rec.kommune, rec.detected_at)
        if kommune is not None and rec.status is not AvvikStatus.RETRACTED:
            entry = (kommune, rec.overliggedogn or 0, rec.betalingsplikt_nok or 0.0)
            _put(self._sa05, rec.avvik_id, entry, self.max_entries)
            touched.add(kommune)
        if not touched:
            return
        days: Counter[str] = Counter()
        nok: dict[str, float] = {}
        for k, d, amount in self._sa05.values():
            if k in touched:
                days[k] += d
                nok[k] = nok.get(k, 0.0) + amount
        for k in touched:
            self.metrics.set_overliggedogn(k, days[k], nok.get(k, 0.0))
        self._sa05_kommuner |= touched

    def _track_quality(self, rec: AvvikRecord, entries: OrderedDict[str, str], counts: Counter[str]) -> None:
        touched: set[str] = set()
        previous = entries.pop(rec.avvik_id, None)
        if previous is not None:
            counts[previous] -= 1
            touched.add(previous)
        hf = self._hf(rec.hf)
        if hf is not None and rec.status is not AvvikStatus.RETRACTED:
            counts[hf] += 1
            touched.add(hf)
            for _, evicted in _put(entries, rec.avvik_id, hf, self.max_entries):
                counts[evicted] -= 1
                touched.add(evicted)
        self._set_ratios(touched)

    def _set_ratios(self, hfs: set[str]) -> None:
        for hf in hfs:
            discharges = self._discharge_counts[hf]
            if discharges <= 0:
                continue
            late = min(max(self._late_counts[hf], 0), discharges)
            readmitted = min(max(self._readmission_counts[hf], 0), discharges)
            self.metrics.set_epikrise_within_1d_ratio(hf, 1.0 - late / discharges)
            self.metrics.set_readmission_30d_ratio(hf, readmitted / discharges)

    # Pathway state ------------------------------------------------------------------------------------------

    def on_state(self, rec: PathwayStateRecord | None, pseudonym: str) -> None:
        """Take the latest pathway state of ``pseudonym`` (None: tombstone): utskrivningsklare gauges."""
        touched: set[str] = set()
        previous = self._ready.pop(pseudonym, None)
        if previous is not None:
            self._ready_counts[previous] -= 1
            touched.add(previous)
        if rec is not None and rec.phase == READY_PHASE:
            at = rec.updated_at or rec.utskrivningsklar_since
            kommune = self._kommune(rec.oppholdskommune, at)
            if kommune is not None:
                self._ready_counts[kommune] += 1
                touched.add(kommune)
                for _, evicted in _put(self._ready, pseudonym, kommune, self.max_entries):
                    self._ready_counts[evicted] -= 1
                    touched.add(evicted)
        for kommune in touched:
            self.metrics.set_utskrivningsklare_in_hospital(kommune, max(self._ready_counts[kommune], 0))

    # Events -------------------------------------------------------------------------------------------------

    def on_event(self, ev: Event) -> None:
        """Take one canonical event: ambulance response times, the discharge denominators, and place codes
        master data does not name (``hub_unknown_organisation_codes_total``)."""
        body = ev.body
        if ev.event_type in HOSPITAL_TYPES:
            found = resolve_hf(self.masterdata, ev.organisation, getattr(body, "episode_id", None))
            if found.unknown is not None:
                self.metrics.unknown_organisation_code(found.unknown[0])
        if isinstance(body, Mission):
            self._mission(ev, body)
        elif ev.event_type is EventType.DISCHARGED and isinstance(body, Discharge):
            self._discharge(ev, body.episode_id, cancelled=False, dead=body.destination is Place.DEAD)
        elif ev.event_type is EventType.DISCHARGE_CANCELLED and isinstance(body, EpisodeRef):
            self._discharge(ev, body.episode_id, cancelled=True, dead=False)

    def _mission(self, ev: Event, body: Mission) -> None:
        mission_id = body.mission_id
        if mission_id in self._missions_done:
            return
        if ev.event_type is EventType.CALL_RECEIVED:
            _put(self._calls, mission_id, (ev.occurred_at, body.hastegrad, body.area), self.max_entries)
            on_scene = self._early_on_scene.pop(mission_id, None)
            if on_scene is not None:
                self._complete(mission_id, on_scene)
        elif ev.event_type is EventType.ON_SCENE:
            if mission_id in self._calls:
                self._complete(mission_id, ev.occurred_at)
            else:
                _put(self._early_on_scene, mission_id, ev.occurred_at, self.max_entries)
        elif ev.event_type is EventType.CANCELLED:
            self._calls.pop(mission_id, None)
            self._early_on_scene.pop(mission_id, None)

    def _complete(self, mission_id: str, on_scene: datetime) -> None:
        called_at, hastegrad, area = self._calls.pop(mission_id)
        _put(self._missions_done, mission_id, None, self.max_entries)
        seconds = (on_scene - called_at).total_seconds()
        if seconds < 0:
            log.warning("ambulance_on_scene_before_call", hastegrad=hastegrad.value, area=area.value)
            return
        self.metrics.observe_ambulance_response(hastegrad, area, seconds)

    def _discharge(self, ev: Event, episode_id: str, *, cancelled: bool, dead: bool) -> None:
        if ev.patient is None:
            return
        key = f"{ev.patient.pseudonym}|{episode_id}"
        touched: set[str] = set()
        previous = self._discharges.pop(key, None)
        if previous is not None:
            self._discharge_counts[previous] -= 1
            touched.add(previous)
        hf = self._hf(ev.organisation.hf)
        if not cancelled and not dead and hf is not None:
            self._discharge_counts[hf] += 1
            touched.add(hf)
            for _, evicted in _put(self._discharges, key, hf, self.max_entries):
                self._discharge_counts[evicted] -= 1
                touched.add(evicted)
        self._set_ratios(touched)
