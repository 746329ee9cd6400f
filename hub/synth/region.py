"""A synthetic region calibrated to population and the rates of master data (``rates.csv``).

Three kinds of patient, each with its yearly count from the helsefellesskap's population:

* **frail elderly** (the Tabell 6 cohort: ≥ 75 years with hjemmesykepleie or sykehjem before their first
  stay): ``frail_patients_per_1000``; each has 1 + Poisson(``frail_stays_per_patient`` − 1) hospital stays
  spread over the year, of mean length ``frail_liggedogn_per_stay``; a share ``frail_ready_share`` is
  declared utskrivningsklar and waits for the kommune so that the year holds
  ``overliggedogn_per_frail_patient`` overliggedøgn per patient;
* **other hospital patients** (under 75, or older without municipal services): ``other_stays_per_1000``
  stays of mean length ``other_liggedogn_per_stay``;
* **KAD patients**: ``kad_admissions_per_1000`` KAD / sykestue stays.

Acute stays (``acute_share``) come by ambulance in ``ambulance_share_of_acute`` of cases. Deviations (late
or missing messages, rejections, cancellations) follow ``SynthConfig.deviation_share`` as in
:mod:`hub.synth.generator`, whose pathway building blocks this module reuses.

Hospital stays are placed by bed management (:class:`_Wards`, built in admission order): a patient goes
to a home ward drawn in proportion to the wards' beds unless that ward runs more than ``SPREAD`` above the
emptiest, and a planned (not acute) admission waits a day while the HF's wards are ``FULL``; so every ward
runs near the HF's occupancy instead of each receiving the same number of patients whatever its size.
:func:`hub.synth.occupancy.ward_occupancy` measures it offline, as the board does.

Each patient's plan depends only on the seed, the year and its number, so a week and a year of the same
seed agree on the week. Events come lazily in ``(occurred_at, event_id)`` order, four weeks at a time.
With ``census_days`` the region starts that many days before ``start`` and keeps, of those days, only the
stays still open at ``start`` (with their history): the wards are full when the run starts.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hub.errors import ConfigError
from hub.events import Event, ServiceKind
from hub.masterdata.model import MasterData, Unit
from hub.synth.generator import (
    StayPlan,
    SynthConfig,
    _Patient,
    _Setting,
    _setting,
    hospital_name,
)

YEAR = timedelta(days=365)
CHUNK = timedelta(days=28)
RATE_NAMES = (
    "frail_patients_per_1000",
    "frail_stays_per_patient",
    "frail_liggedogn_per_stay",
    "overliggedogn_per_frail_patient",
    "frail_ready_share",
    "kad_admissions_per_1000",
    "other_stays_per_1000",
    "other_liggedogn_per_stay",
    "acute_share",
    "ambulance_share_of_acute",
)
FRAIL, OTHER, KAD = 1, 2, 3
SPREAD = 0.1
"""How far a ward's occupancy may run above the emptiest ward's before bed management sends patients
elsewhere (an assumption: no public figure; calibrates the illustrative wards to 60-100 %)."""
FULL = 0.9
"""Occupancy of the HF's wards from which planned admissions wait (an assumption, as SPREAD)."""
DEFER = timedelta(days=1)
MAX_DEFERS = 3


@dataclass(frozen=True, slots=True)
class RegionRates:
    """The rates of one helsefellesskap, resolved against its population."""

    population: int
    kommune_weights: tuple[float, ...]
    """Population of each kommune of the helsefellesskap (sorted by number): where patients live."""
    values: dict[str, float]
    assumptions: tuple[str, ...]
    """Names of the rates that are assumptions (no published figure behind them)."""

    def per_year(self, name: str) -> float:
        """A per-1 000 rate as a yearly count for the population."""
        return self.values[name] * self.population / 1000


def region_rates(masterdata: MasterData, helsefellesskap_id: str, on: date) -> RegionRates | None:
    """The region's rates, or None when a kommune lacks a population or a rate is missing."""
    kommuner = masterdata.kommuner_of(helsefellesskap_id, on)
    populations = [k.population for k in kommuner]
    if not populations or any(p is None for p in populations):
        return None
    values: dict[str, float] = {}
    assumed: list[str] = []
    for name in RATE_NAMES:
        rate = masterdata.rate(name, helsefellesskap_id)
        if rate is None:
            return None
        values[name] = rate.value
        if rate.is_assumption:
            assumed.append(name)
    weights = tuple(float(p or 0) for p in populations)
    return RegionRates(int(sum(weights)), weights, values, tuple(assumed))


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's Poisson draw (small means only)."""
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _ready_overhead_days(deviation_share: float) -> float:
    """Mean time from utskrivningsklar to discharge besides the wait: notice, answer, transport."""
    on_time = (95 + 130) / 1440  # notice 10-180 min, answer 20-240 min
    late = (25 + 33) / 24  # late notice 20-30 h, late answer 26-40 h
    return (1 - deviation_share) * on_time + deviation_share * late + 5 / 24


@dataclass(frozen=True, slots=True)
class _Stay:
    at: datetime
    plan: StayPlan
    acute: bool
    ambulance: bool


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: int
    index: int
    seed: str
    stays: tuple[_Stay, ...]
    age: int


class _Wards:
    """Bed management of the HF's wards: who is in which ward, and where the next patient goes.

    A patient goes to its home ward (drawn in proportion to beds) unless that ward's occupancy exceeds the
    emptiest ward's by more than :data:`SPREAD`; then to the emptiest ward (most free beds on a tie). A
    transfer goes to another ward of the same hospital on the same terms, else to the emptiest other ward.
    So admissions follow capacity, as a hospital's bed coordinator spreads them, instead of every ward
    receiving the same number of patients whatever its size.
    """

    def __init__(self, units: tuple[Unit, ...]) -> None:
        self.units = list(units)
        self.beds = {u.unit_id: max(u.beds or 1, 1) for u in units}
        self.weights = [float(self.beds[u.unit_id]) for u in units]
        self._by_id = {u.unit_id: u for u in units}
        self._hospital = {u.unit_id: hospital_name(u) for u in units}
        self._now = dict.fromkeys(self.beds, 0)
        self._pending: dict[str, list[tuple[datetime, int]]] = {u: [] for u in self.beds}

    def occupied(self, unit_id: str, at: datetime) -> int:
        """Patients in the ward at ``at`` (admitted so far)."""
        return self._now[unit_id] + sum(d for t, d in self._pending[unit_id] if t <= at)

    def _advance(self, at: datetime) -> None:
        for unit_id, pending in self._pending.items():
            due = [d for t, d in pending if t <= at]
            if due:
                self._now[unit_id] += sum(due)
                self._pending[unit_id] = [(t, d) for t, d in pending if t > at]

    def _choose(self, at: datetime, preferred: list[str], exclude: str | None = None) -> str:
        shares = {
            u: self.occupied(u, at) / beds
            for u, beds in self.beds.items()
            if u != exclude or len(self.beds) == 1
        }
        lowest = min(shares.values())
        for unit_id in preferred:
            if unit_id in shares and shares[unit_id] <= lowest + SPREAD:
                return unit_id
        return min(shares, key=lambda u: (shares[u], -self.beds[u], u))

    def admit(self, at: datetime, home: Unit) -> Unit:
        """The ward a patient admitted at ``at`` goes to (admissions come in time order)."""
        self._advance(at)
        return self._by_id[self._choose(at, [home.unit_id])]

    def transfer(self, at: datetime, from_unit: str) -> str:
        """The ward a patient in ``from_unit`` moves to at ``at``."""
        hospital = self._hospital.get(from_unit)
        same = [u for u in self.beds if u != from_unit and self._hospital[u] == hospital]
        return self._choose(at, same, exclude=from_unit)

    def share(self, at: datetime) -> float:
        """Occupancy of all the wards together at ``at``."""
        self._advance(at)
        return sum(self.occupied(u, at) for u in self.beds) / sum(self.beds.values())

    def occupy(self, moves: list[tuple[datetime, str]], end: datetime) -> None:
        """Record a stay: ``moves`` are (instant, ward) from the admission on; it leaves at ``end``."""
        for (at, unit_id), (until, _) in zip(moves, [*moves[1:], (end, "")], strict=True):
            if unit_id in self._pending and until > at:
                self._pending[unit_id] += [(at, 1), (until, -1)]


class Region:
    """Yearly plans of every patient of one region, built into events a chunk at a time."""

    def __init__(self, masterdata: MasterData, config: SynthConfig, rates: RegionRates) -> None:
        self.cfg = config
        self.rates = rates
        self.setting: _Setting = _setting(masterdata, config)
        self.origin = config.start - timedelta(days=config.census_days)
        self.end = config.start + timedelta(days=config.span_days)
        self._years: dict[int, list[_Plan]] = {}
        self.wards = _Wards(self.setting.wards)
        self._deferred: list[tuple[datetime, int, int, int, _Plan]] = []

    # -- plans ------------------------------------------------------------------------------------------

    def _stay_plan(self, rng: random.Random, mean_days: float, *, frail: bool) -> StayPlan:
        v = self.rates.values
        if frail:
            ready_share = v["frail_ready_share"]
            wait_mean = v["overliggedogn_per_frail_patient"] / max(v["frail_stays_per_patient"], 1e-9)
            wait_mean /= max(ready_share, 1e-9)
            clinical_mean = mean_days - ready_share * (
                _ready_overhead_days(self.cfg.deviation_share) + wait_mean
            )
            ready = rng.random() < ready_share
            wait = int(rng.expovariate(1 / wait_mean) + 0.5) if ready and wait_mean > 0 else 0
        else:
            clinical_mean, ready, wait = mean_days, rng.random() < 0.15, 0
        days = max(4 / 24, rng.gammavariate(2.0, max(clinical_mean, 0.5) / 2))
        return StayPlan(clinical=timedelta(seconds=int(days * 86_400)), ready=ready, wait_days=wait)

    def _stays(
        self, rng: random.Random, year_start: datetime, count: int, *, frail: bool
    ) -> tuple[_Stay, ...]:
        v = self.rates.values
        mean = v["frail_liggedogn_per_stay"] if frail else v["other_liggedogn_per_stay"]
        offsets = sorted(rng.uniform(0, YEAR.total_seconds()) for _ in range(count))
        stays: list[_Stay] = []
        earliest = year_start
        for offset in offsets:
            at = max(year_start + timedelta(seconds=int(offset)), earliest)
            plan = self._stay_plan(rng, mean, frail=frail)
            acute = rng.random() < v["acute_share"]
            stays.append(_Stay(at, plan, acute, acute and rng.random() < v["ambulance_share_of_acute"]))
            earliest = at + plan.clinical + timedelta(days=plan.wait_days + 3)
        return tuple(stays)

    def _plans(self, year: int) -> list[_Plan]:
        if year in self._years:
            return self._years[year]
        year_start = self.origin + year * YEAR
        v = self.rates
        plans: list[_Plan] = []
        for kind, name in ((FRAIL, "frail_patients_per_1000"), (OTHER, "other_stays_per_1000")):
            for i in range(round(v.per_year(name))):
                seed = f"{self.cfg.seed}:{year}:{kind}:{i}"
                rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
                if kind == FRAIL:
                    count = 1 + _poisson(rng, v.values["frail_stays_per_patient"] - 1)
                    age = int(rng.triangular(75, 100, 85))
                else:
                    count, age = 1, int(rng.triangular(18, 100, 62))
                stays = self._stays(rng, year_start, count, frail=kind == FRAIL)
                plans.append(_Plan(kind, kind * 1_000_000 + year * 50_000 + i, seed, stays, age))
        for i in range(round(v.per_year("kad_admissions_per_1000"))):
            seed = f"{self.cfg.seed}:{year}:{KAD}:{i}"
            rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
            at = year_start + timedelta(seconds=int(rng.uniform(0, YEAR.total_seconds())))
            plan = StayPlan(timedelta(0), ready=False, wait_days=0)
            stays = (_Stay(at, plan, acute=True, ambulance=False),)
            plans.append(
                _Plan(KAD, KAD * 1_000_000 + year * 50_000 + i, seed, stays, int(rng.triangular(20, 100, 80)))
            )
        self._years = {year: plans}  # one year at a time
        return plans

    # -- events -----------------------------------------------------------------------------------------

    def _patient(self, plan: _Plan, first: datetime) -> _Patient:
        rng = random.Random(plan.seed + ":p")  # noqa: S311 - synthetic data, not security
        return _Patient(
            rng,
            self.setting,
            self.cfg,
            plan.index,
            first,
            age=plan.age,
            kommune_weights=self.rates.kommune_weights,
        )

    def _chunk(self, plans: list[_Plan], chunk_start: datetime, chunk_end: datetime) -> list[Event]:
        """Events of the stays starting in ``[chunk_start, chunk_end)``, built in admission order so that
        bed management (:class:`_Wards`) sees every patient already in a bed; a planned admission that
        finds the hospital full waits a day (:meth:`_defer`), into the next chunk if need be."""
        queue: list[tuple[datetime, int, int, int, _Plan]] = [
            (s.at, plan.index, n, 0, plan)
            for plan in plans
            for n, s in enumerate(plan.stays)
            if chunk_start <= s.at < chunk_end
        ]
        queue += [item for item in self._deferred if item[0] < chunk_end]
        self._deferred = [item for item in self._deferred if item[0] >= chunk_end]
        heapq.heapify(queue)
        patients: dict[int, tuple[_Patient, ServiceKind | None, int]] = {}
        while queue:
            at, index, n, defers, plan = heapq.heappop(queue)
            if at >= self.end:
                continue
            if self._defer(plan, n, at, defers):
                item = (at + DEFER, index, n, defers + 1, plan)
                if item[0] < chunk_end:
                    heapq.heappush(queue, item)
                else:
                    self._deferred.append(item)
                continue
            if plan.index not in patients:
                p, service = self._start_patient(plan, n, chunk_start)
                patients[plan.index] = (p, service, len(p.events))
            p, service, _ = patients[plan.index]
            self._stay(plan, n, at, p, service)
        events: list[Event] = []
        for p, _, services in patients.values():
            if len(p.events) > services:  # else only a service left: its stays ended before the census
                events.extend(p.events)
        return events

    def _defer(self, plan: _Plan, n: int, at: datetime, defers: int) -> bool:
        """A planned (not acute) hospital admission waits a day while the HF's wards are full, at most
        :data:`MAX_DEFERS` times and never into the patient's next stay."""
        stay = plan.stays[n]
        if plan.kind == KAD or stay.acute or defers >= MAX_DEFERS:
            return False
        if n + 1 < len(plan.stays):
            busy = stay.plan.clinical + timedelta(days=stay.plan.wait_days + 2)
            if at + DEFER + busy >= plan.stays[n + 1].at:
                return False
        return self.wards.share(at) >= FULL

    def _start_patient(
        self, plan: _Plan, first: int, chunk_start: datetime
    ) -> tuple[_Patient, ServiceKind | None]:
        """The patient of a plan and its municipal service (reported once, before the first stay)."""
        p = self._patient(plan, plan.stays[0].at)
        service: ServiceKind | None = None
        if plan.kind == FRAIL:
            service = ServiceKind.HJEMMESYKEPLEIE if p.rng.random() < 0.8 else ServiceKind.SYKEHJEM_LANGTID
            if first == 0:
                at = plan.stays[0].at
                service_at = max(chunk_start, at - timedelta(days=p.rng.uniform(1, 60)))
                p.add(p.f.service(service_at, f"S{plan.index}", service))
        elif plan.age < 75 and p.rng.random() < 0.1:
            service = ServiceKind.HJEMMESYKEPLEIE
            if first == 0:
                at = chunk_start + (plan.stays[first].at - chunk_start) / 2
                p.add(p.f.service(at, f"S{plan.index}", service))
        return p, service

    def _stay(
        self, plan: _Plan, n: int, admit: datetime, p: _Patient, service: ServiceKind | None
    ) -> datetime:
        """Build stay ``n`` of a plan, admitted at ``admit``, into ``p.events`` (dropped again when it
        ended before the start); returns the discharge."""
        stay = plan.stays[n]
        p.rng = random.Random(f"{plan.seed}:{n}")  # noqa: S311 - synthetic data, not security
        p.f.seq = (n + 1) * 100
        before = len(p.events)
        if plan.kind == KAD:
            end = p.kad(admit, n)
        else:
            at = p.ambulance(admit, n) if stay.ambulance else admit
            ward = self.wards.admit(at, self._home_ward(plan))
            p.f.unit_id, p.f.hospital = ward.unit_id, hospital_name(ward)
            moves: list[tuple[datetime, str]] = []

            def transfer(moved: datetime, from_unit: str | None) -> str:
                target = self.wards.transfer(moved, from_unit or ward.unit_id)
                moves.append((moved, target))
                return target

            end = p.hospital(at, n, service, acute=stay.acute, plan=stay.plan, transfer_to=transfer)
            self.wards.occupy([(at, ward.unit_id), *moves], end)
            if plan.kind == OTHER and p.rng.random() < 0.1 * p.dev:
                p.add(p.f.manual(at + p.hours(1, 48), "samhandling"))
        if admit < self.cfg.start and end < self.cfg.start:  # before the census: gone by the start
            del p.events[before:]
        return end

    def _home_ward(self, plan: _Plan) -> Unit:
        """The ward a patient is admitted to when it has room: drawn in proportion to the wards' beds."""
        rng = random.Random(plan.seed + ":ward")  # noqa: S311 - synthetic data, not security
        return rng.choices(self.wards.units, weights=self.wards.weights)[0]

    def events(self) -> Iterator[Event]:
        """Every event of the region from ``start - census_days`` to ``start + span_days``, in order."""
        heap: list[tuple[datetime, str, Event]] = []
        chunk_start = self.origin
        while chunk_start < self.end:
            chunk_end = min(chunk_start + CHUNK, self.end)
            year = int((chunk_start - self.origin) / YEAR)
            year_end = self.origin + (year + 1) * YEAR
            for start, stop, y in (
                (chunk_start, min(chunk_end, year_end), year),
                (year_end, chunk_end, year + 1),
            ):
                if start >= stop:
                    continue
                for event in self._chunk(self._plans(y), start, stop):
                    heapq.heappush(heap, (event.occurred_at, event.event_id, event))
            while heap and heap[0][0] < chunk_end:
                yield heapq.heappop(heap)[2]
            chunk_start = chunk_end
        while heap:
            yield heapq.heappop(heap)[2]


def generate_region(
    masterdata: MasterData, config: SynthConfig, rates: RegionRates | None = None
) -> Iterator[Event]:
    """The calibrated region's events (see the module docstring); ConfigError without population or rates."""
    found = rates or region_rates(masterdata, config.helsefellesskap_id, config.start.date())
    if found is None:
        raise ConfigError(
            f"{config.helsefellesskap_id}: a kommune has no population or a rate is missing in rates.csv"
        )
    return Region(masterdata, config, found).events()
