"""Seeded generator of realistic multi-patient pathways as canonical events, in occurred_at order.

Per patient: maybe a municipal service (hjemmesykepleie / sykehjem), an ambulance mission (akutt / haster),
a hospital stay (admission notice, innleggelsesrapport, transfer, utskrivningsklar -> notice -> answer ->
discharge -> utskrivningsrapport / epikrise), or a KAD / sykestue stay; some patients are readmitted.
``deviation_share`` is the probability that each step that can go wrong does (late or missing message,
slow ambulance, long KAD stay, rejected message, PLO cancel, HL7 A11...). Same seed, same events.

Events are produced lazily in ``(occurred_at, event_id)`` order: patients start in time order and the
events of patients still running wait in a heap, so memory stays bounded by the patients in flight.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hub.errors import ConfigError
from hub.events import (
    AmbulanceHastegrad,
    Area,
    Event,
    EventType,
    NoticeKind,
    Place,
    ServiceKind,
    Sex,
    UnitKind,
)
from hub.masterdata.model import MasterData, Unit
from hub.synth.build import EventFactory

EVENTS_PER_PATIENT = 8  # measured average (20k-event sample: 7.9), used to spread patients over the period


@dataclass(frozen=True, slots=True)
class SynthConfig:
    """What to generate."""

    helsefellesskap_id: str = "HF-HNT"
    start: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    span_days: int = 365
    deviation_share: float = 0.1
    seed: int = 1
    census_days: int = 0
    """Region mode only (:func:`hub.synth.region.generate_region`): also make the ``census_days`` before
    ``start`` and keep, of them, the stays still open at ``start`` (with their history): the census."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.deviation_share <= 1.0:
            raise ConfigError("deviation_share must be between 0 and 1")
        if self.span_days < 1:
            raise ConfigError("span_days must be at least 1")
        if self.census_days < 0:
            raise ConfigError("census_days must not be negative")


@dataclass(frozen=True, slots=True)
class StayPlan:
    """A hospital stay fixed in advance (calibrated region): time to ready/discharge, readiness, wait."""

    clinical: timedelta
    """Admission to utskrivningsklar (or to discharge when the stay is never declared ready)."""
    ready: bool
    wait_days: int
    """Days from the kommune's answer until it can receive the patient (overliggedøgn)."""


@dataclass(frozen=True, slots=True)
class _Setting:
    hf: str
    kommuner: tuple[str, ...]
    wards: tuple[Unit, ...]
    municipal: tuple[Unit, ...]


def _setting(md: MasterData, cfg: SynthConfig) -> _Setting:
    hfs = sorted(h.hf_id for h in md.helseforetak.values() if h.helsefellesskap_id == cfg.helsefellesskap_id)
    if not hfs:
        raise ConfigError(f"no helseforetak for helsefellesskap {cfg.helsefellesskap_id!r} in master data")
    kommuner = tuple(k.kommunenummer for k in md.kommuner_of(cfg.helsefellesskap_id, cfg.start.date()))
    if not kommuner:
        raise ConfigError(f"no kommuner for {cfg.helsefellesskap_id!r} valid on {cfg.start.date()}")
    hf = hfs[0]
    units = md.units_of(hf_id=hf, kommuner=frozenset(kommuner))
    wards = tuple(u for u in units if u.kind is UnitKind.WARD)
    municipal = tuple(
        u for u in units if u.hf_id is None and u.kind in (UnitKind.KAD_SOMATISK, UnitKind.SYKESTUE)
    )
    if not wards:
        wards = (
            Unit(f"{hf}-WARD", "Sengepost", UnitKind.WARD, hf, None, None, "illustrative", date(2000, 1, 1)),
        )
    return _Setting(hf=hf, kommuner=kommuner, wards=wards, municipal=municipal)


def hospital_name(ward: Unit) -> str:
    """The hospital of a ward: the first two words of its name ("Sykehuset Levanger ...")."""
    words = ward.name.split(" ")
    return " ".join(words[:2]) if len(words) > 1 else ward.name


class _Patient:
    """Builds one patient's events (kept as a list, sorted when done)."""

    def __init__(
        self,
        rng: random.Random,
        setting: _Setting,
        cfg: SynthConfig,
        index: int,
        start: datetime,
        *,
        age: int | None = None,
        kommune_weights: tuple[float, ...] | None = None,
    ) -> None:
        self.rng = rng
        self.setting = setting
        self.dev = cfg.deviation_share
        self.index = index
        if kommune_weights is None:
            kommune = rng.choice(setting.kommuner)
        else:
            kommune = rng.choices(setting.kommuner, weights=kommune_weights)[0]
        ward = rng.choice(setting.wards)  # the calibrated region sets the ward per stay (hub.synth.region)
        self.f = EventFactory(
            pseudonym=f"{rng.getrandbits(96):024x}",
            birth_year=start.year - (age if age is not None else int(rng.triangular(20, 100, 84))),
            sex=rng.choice((Sex.FEMALE, Sex.MALE)),
            bostedskommune=kommune,
            oppholdskommune=kommune if rng.random() > 0.03 else rng.choice(setting.kommuner),
            hf=setting.hf,
            hospital=hospital_name(ward),
            unit_id=ward.unit_id,
        )
        self.events: list[Event] = []
        self.start = start

    def deviate(self) -> bool:
        return self.rng.random() < self.dev

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=int(self.rng.uniform(low, high) * 60))

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(seconds=int(self.rng.uniform(low, high) * 3600))

    def add(self, event: Event) -> Event:
        self.events.append(event)
        return event

    # -- building blocks --------------------------------------------------------------------------------

    def service(self, at: datetime) -> ServiceKind | None:
        age = at.year - (self.f.birth_year or at.year)
        if self.rng.random() > (0.55 if age >= 75 else 0.1):
            return None
        kind = ServiceKind.HJEMMESYKEPLEIE if self.rng.random() < 0.8 else ServiceKind.SYKEHJEM_LANGTID
        self.add(self.f.service(at, f"S{self.index}", kind))
        return kind

    def ambulance(self, at: datetime, n: int) -> datetime:
        mission = f"M{self.index}-{n}"
        acute = self.rng.random() < 0.6
        hast = AmbulanceHastegrad.AKUTT if acute else AmbulanceHastegrad.HASTER
        area = Area.TETTSTED if self.rng.random() < 0.55 else Area.RURAL
        limit = 12 if area is Area.TETTSTED else 25
        on_scene = (
            self.minutes(limit + 2, limit * 2.5) if acute and self.deviate() else self.minutes(4, limit - 1)
        )
        f = self.f
        kw = {"hastegrad": hast, "area": area}
        self.add(f.mission(EventType.CALL_RECEIVED, at, mission, **kw))  # type: ignore[arg-type]
        self.add(f.mission(EventType.DISPATCHED, at + self.minutes(0.5, 2), mission, **kw))  # type: ignore[arg-type]
        self.add(f.mission(EventType.ON_SCENE, at + on_scene, mission, **kw))  # type: ignore[arg-type]
        left = at + on_scene + self.minutes(10, 30)
        self.add(f.mission(EventType.LEFT_SCENE, left, mission, **kw))  # type: ignore[arg-type]
        arrived = left + self.minutes(10, 60 if area is Area.RURAL else 25)
        self.add(
            f.mission(EventType.ARRIVED, arrived, mission, destination=Place.HOSPITAL, **kw)  # type: ignore[arg-type]
        )
        return arrived

    def hospital(  # noqa: PLR0912, PLR0915 - a pathway script
        self,
        at: datetime,
        n: int,
        service: ServiceKind | None,
        *,
        acute: bool,
        plan: StayPlan | None = None,
        transfer_to: Callable[[datetime, str | None], str] | None = None,
    ) -> datetime:
        """One hospital stay from ``at``; returns the discharge time. ``plan`` fixes length and readiness;
        ``transfer_to(at, from_unit)`` chooses the ward of a transfer (default: any ward at random)."""
        rng, f = self.rng, self.f
        episode = f"V{self.index:07d}{n}"
        admitted = self.add(
            f.admitted(at, episode, acute=acute, from_place=Place.AMBULANCE if acute else Place.HOME)
        )
        if self.rng.random() < 0.3 * self.dev:  # HL7 A11: admission cancelled and registered again
            self.add(f.episode_event(EventType.ADMISSION_CANCELLED, at + self.minutes(5, 30), episode))
            admitted = self.add(f.admitted(at + self.minutes(31, 50), episode, acute=acute))
        t = admitted.occurred_at
        age = t.year - (f.birth_year or t.year)
        needs_notice = service is not None or age >= 75
        if needs_notice and not (self.deviate() and rng.random() < 0.5):  # else: the notice is missing
            delay = self.hours(25, 40) if self.deviate() else self.hours(1, 20)
            notice = self.add(f.notified(t + delay, episode, NoticeKind.ADMISSION))
            if rng.random() < 0.2 * self.dev:  # PLO C then N again
                self.add(f.cancel(notice.occurred_at + self.minutes(5, 20), notice))
                self.add(f.notified(notice.occurred_at + self.minutes(21, 40), episode, NoticeKind.ADMISSION))
        if service is not None and acute and not self.deviate():
            self.add(f.report(EventType.INNLEGGELSESRAPPORT_SENT, t + self.hours(0.5, 10), episode))
        los = plan.clinical if plan is not None else self.hours(20, 24 * 6)
        if rng.random() < 0.3:
            to = rng.choice(self.setting.wards).unit_id
            moved = t + los * rng.uniform(0.2, 0.6)
            if transfer_to is not None:  # the calibrated region's bed management picks the ward
                to = transfer_to(moved, f.unit_id)
            self.add(f.transferred(moved, episode, to))
        if plan is not None:
            ready_needed = plan.ready
        else:
            ready_needed = (service is not None or age >= 70) and rng.random() < 0.6
        destination = Place.HOME
        discharge_at = t + los
        if ready_needed:
            ready_at = t + los if plan is not None else t + los * 0.7
            self.add(f.episode_event(EventType.DECLARED_READY, ready_at, episode))
            notice_at = ready_at + (self.hours(20, 30) if self.deviate() else self.minutes(10, 180))
            notice = self.add(f.notified(notice_at, episode, NoticeKind.READY))
            if rng.random() < 0.3 * self.dev:
                self.add(f.rejected(notice_at + self.minutes(1, 5), notice, "LOG_UTSKRIVNINGSKLAR"))
                self.add(f.notified(notice_at + self.minutes(30, 90), episode, NoticeKind.READY))
            answer_at = notice_at + (self.hours(26, 40) if self.deviate() else self.minutes(20, 240))
            wait_days = plan.wait_days if plan is not None else (rng.randint(1, 6) if self.deviate() else 0)
            receive = (answer_at + timedelta(days=wait_days)).date()
            self.add(f.responded(answer_at, episode, can_receive=True, receive_date=receive))
            discharge_at = max(discharge_at, answer_at + timedelta(days=wait_days) + self.hours(2, 8))
            destination = rng.choice((Place.HOME_NURSING, Place.SYKEHJEM, Place.KAD, Place.HOME_NURSING))
        elif self.deviate() and rng.random() < 0.3:
            destination = Place.HOME_NURSING  # discharged to municipal care without agreement
        out = self.add(f.discharged(discharge_at, episode, destination))
        if rng.random() < 0.1 * self.dev:  # HL7 A13 and discharge again
            self.add(
                f.episode_event(EventType.DISCHARGE_CANCELLED, discharge_at + self.minutes(5, 30), episode)
            )
            out = self.add(f.discharged(discharge_at + self.minutes(40, 120), episode, destination))
        d = out.occurred_at
        to_nursing = destination in (Place.HOME_NURSING, Place.SYKEHJEM) or service is not None
        if to_nursing and destination is not Place.KAD and not self.deviate():
            self.add(f.report(EventType.UTSKRIVNINGSRAPPORT_SENT, d - self.minutes(0, 60), episode))
        if not (self.deviate() and rng.random() < 0.3):
            epikrise_at = d + (self.hours(26, 72) if self.deviate() else self.hours(0.5, 20))
            epikrise = self.add(f.report(EventType.EPIKRISE_SENT, epikrise_at, episode))
            if rng.random() < 0.2 * self.dev:
                self.add(f.rejected(epikrise_at + self.minutes(1, 10), epikrise, "EPIKRISE"))
                self.add(f.report(EventType.EPIKRISE_SENT, epikrise_at + self.hours(1, 6), episode))
        return d

    def kad(self, at: datetime, n: int) -> datetime:
        if not self.setting.municipal:
            return at
        unit = self.rng.choice(self.setting.municipal)
        stay = f"K{self.index}-{n}"
        kind = unit.kind
        self.add(self.f.kad_admitted(at, stay, unit.unit_id, kind))
        limit = 72 if kind is not UnitKind.SYKESTUE else 14 * 24
        if self.deviate():
            if self.rng.random() < 0.5:
                end, dest = at + self.hours(2, 20), Place.HOSPITAL
            else:
                end, dest = at + self.hours(limit + 2, limit + 48), Place.HOME
        else:
            end, dest = at + self.hours(12, limit - 2), Place.HOME
        self.add(self.f.kad_discharged(end, stay, unit.unit_id, dest, kind))
        return end

    def build(self) -> list[Event]:
        at = self.start
        service = self.service(at)
        if service is not None:  # the pathway starts a while after the service (events stay in time order)
            at += self.hours(24, 24 * 60)
        roll = self.rng.random()
        n = 0
        if roll < 0.18:
            self.kad(at, n)
        else:
            acute = roll < 0.85
            if acute and self.rng.random() < 0.7:
                at = self.ambulance(at, n)
            end = self.hospital(at, n, service, acute=acute)
            if self.rng.random() < 0.12:  # readmission (SA09 when within 30 days)
                n += 1
                again = end + timedelta(days=self.rng.uniform(2, 40))
                self.hospital(again, n, service, acute=True)
            elif self.rng.random() < 0.08:
                self.kad(end + self.hours(1, 6), n + 1)
        if self.rng.random() < 0.01 * self.dev * 10:
            self.add(self.f.manual(at + self.hours(1, 48), "samhandling"))
        return sorted(self.events, key=lambda e: (e.occurred_at, e.event_id))


def generate(masterdata: MasterData, config: SynthConfig, events: int) -> Iterator[Event]:
    """Yield about ``events`` canonical events (exactly that many unless the generator runs dry)."""
    if events <= 0:
        return
    rng = random.Random(config.seed)  # noqa: S311 - synthetic data, not security
    setting = _setting(masterdata, config)
    patients = max(1, events // EVENTS_PER_PATIENT)
    step = config.span_days * 86_400 / patients
    heap: list[tuple[datetime, str, Event]] = []
    produced = 0
    index = 0
    while produced < events:
        start = config.start + timedelta(seconds=int(index * step + rng.uniform(0, step)))
        while heap and heap[0][0] < start and produced < events:
            yield heapq.heappop(heap)[2]
            produced += 1
        if produced >= events:
            return
        for event in _Patient(rng, setting, config, index, start).build():
            heapq.heappush(heap, (event.occurred_at, event.event_id, event))
        index += 1
        if index > patients * 4 and not heap:
            return
        if index > patients * 2:  # enough patients: drain
            while heap and produced < events:
                yield heapq.heappop(heap)[2]
                produced += 1
            return


def jsonl_lines(events: Iterable[Event]) -> Iterator[str]:
    """Events as JSON lines (with newline); writing them is the caller's job (this package does no I/O)."""
    for event in events:
        yield event.model_dump_json() + "\n"
