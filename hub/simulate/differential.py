"""Truth through the wire: the canonical timeline and the region's messages give the same results.

:func:`compare_region` renders a synthetic region to messages (:mod:`hub.simulate.plan`), maps them back
with the connectors' own formats (:mod:`hub.simulate.wire`), runs both event streams through the domain core
and compares what a user sees: every avvik (code, status, detected/due/resolved instants, patient, stay,
kommune, overliggedøgn and NOK), bed occupancy per unit per hour, the waiting list (who was utskrivningsklar
since when) and overliggedøgn per kommune. Pseudonyms and stay ids differ by construction (the connectors
pseudonymise the synthetic person numbers; the EPJ sends its own visit numbers), so the truth is mapped into
the wire's names before comparing.

What no source message carries is left out of the truth (:data:`hub.simulate.carried.NOT_CARRIED`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hub.domain import AvvikRecord, AvvikUpsert, Engine, EngineConfig, JudgementFailed, PathwayChanged
from hub.domain.store import MemoryStore
from hub.domain.timeutil import HOUR, from_epoch, to_epoch
from hub.errors import DomainError
from hub.events import Event
from hub.identity import Pseudonymiser
from hub.masterdata.model import MasterData
from hub.simulate.carried import plan_region
from hub.simulate.message import Outgoing
from hub.simulate.persons import person_for
from hub.simulate.simulator import SimOptions
from hub.simulate.wire import Loopback, through_formats

AvvikKey = tuple[
    str, str, int, int | None, int | None, str | None, str | None, str | None, int | None, int | None
]


@dataclass(slots=True)
class Outcome:
    """What a user of the hub sees after a run."""

    avvik: Counter[AvvikKey] = field(default_factory=Counter)
    beds: Counter[tuple[str, int]] = field(default_factory=Counter)
    """(unit, hour as epoch seconds) -> patients in a bed at the start of that hour."""
    waiting: set[tuple[str, int]] = field(default_factory=set)
    """(patient, utskrivningsklar since) of every waiting-list entry the pathway states published."""
    overlig: Counter[str] = field(default_factory=Counter)
    """kommune -> overliggedøgn (SA05 days)."""
    nok: Counter[str] = field(default_factory=Counter)
    """kommune -> betalingsplikt NOK."""


@dataclass(frozen=True, slots=True)
class Names:
    """The truth's names in the wire's: patient pseudonyms and stay ids."""

    patients: dict[str, str]
    stays: dict[str, str]

    def patient(self, pseudonym: str | None) -> str | None:
        """The wire pseudonym of a truth pseudonym."""
        return self.patients.get(pseudonym, pseudonym) if pseudonym else pseudonym

    def stay(self, episode_id: str | None) -> str | None:
        """The wire stay id of a truth stay id; None for a stay only one side names (KAD, mission)."""
        return self.stays.get(episode_id) if episode_id else None


def _key(record: AvvikRecord, patient: str | None, stay: str | None) -> AvvikKey:
    return (
        record.code,
        record.status.value,
        record.detected_at,
        record.due_at,
        record.resolved_at,
        patient,
        stay,
        record.kommunenummer,
        record.days,
        record.amount_nok,
    )


def outcome(
    events: Iterable[Event],
    masterdata: MasterData,
    *,
    until: datetime,
    names: Names | None = None,
    stays: frozenset[str] = frozenset(),
    tick: int = 60,
) -> Outcome:
    """Run ``events`` (sorted by event time) through the core with the event-time clock; what it shows.

    ``names`` maps the truth into the wire's names; without it, stay ids outside ``stays`` count as None.
    """
    store = MemoryStore()
    engine = Engine(masterdata, config=EngineConfig(eager=False), store=store)
    records: dict[str, AvvikRecord] = {}
    result = Outcome()

    def take(effects: Sequence[object]) -> None:
        for effect in effects:
            if isinstance(effect, AvvikUpsert):
                records[effect.record.avvik_id] = effect.record
            elif isinstance(effect, JudgementFailed):  # a core bug: the comparison would mean nothing
                raise DomainError(
                    f"the core failed judging patient {effect.pseudonym}: {effect.error}"
                ) from effect.exc
            elif isinstance(effect, PathwayChanged) and effect.summary is not None:
                since = effect.summary.utskrivningsklar_since
                if since is not None:
                    patient = names.patient(effect.pseudonym) if names else effect.pseudonym
                    result.waiting.add((patient or "", since))

    advanced: int | None = None
    for event in sorted(events, key=lambda e: (e.occurred_at, e.event_id)):
        take(engine.apply(event))
        t = to_epoch(event.occurred_at)
        if advanced is None or t - advanced >= tick:
            take(engine.advance(from_epoch(t)))
            advanced = t
    take(engine.advance(until))
    for record in records.values():
        if names is None:
            stay = record.episode_id if record.episode_id in stays else None
            result.avvik[_key(record, record.pseudonym, stay)] += 1
        else:
            result.avvik[_key(record, names.patient(record.pseudonym), names.stay(record.episode_id))] += 1
        if record.code == "SA05" and record.status.value != "RETRACTED":
            result.overlig[record.kommunenummer or "unknown"] += record.days or 0
            result.nok[record.kommunenummer or "unknown"] += record.amount_nok or 0
    horizon = to_epoch(until)
    for state in store:
        for segment in state.segments.values():
            first = -(-segment.start // HOUR) * HOUR
            end = segment.end if segment.end is not None else horizon
            for hour in range(first, end, HOUR):
                result.beds[(segment.unit_id, hour)] += 1
    return result


@dataclass(slots=True)
class Region:
    """One synthetic region, as canonical truth and through the wire."""

    truth: list[Event]
    messages: list[Outgoing]
    wire: Loopback
    names: Names
    until: datetime


def render_region(
    options: SimOptions, masterdata: MasterData, start: datetime, pseudonymiser: Pseudonymiser
) -> Region:
    """The region's truth, its messages and what the formats made of them."""
    planned = plan_region(options, masterdata, start)
    truth, messages, planner = planned.truth, planned.messages, planned.planner
    wire = through_formats(messages, pseudonymiser)
    patients = {
        e.patient.pseudonym: pseudonymiser.pseudonym_of(person_for(e.patient).number)
        for e in truth
        if e.patient is not None
    }
    names = Names(patients=patients, stays=dict(planner.visits))
    last = max((e.occurred_at for e in truth), default=start)
    return Region(truth, messages, wire, names, last + timedelta(hours=1))


def differences(truth: Outcome, wire: Outcome, *, limit: int = 10) -> list[str]:
    """Readable differences (empty when the outcomes are equal)."""
    found: list[str] = []
    for name in ("avvik", "beds", "overlig", "nok"):
        a, b = getattr(truth, name), getattr(wire, name)
        missing, extra = a - b, b - a
        found += [f"{name}: only in truth: {k} x{n}" for k, n in list(missing.items())[:limit]]
        found += [f"{name}: only through the wire: {k} x{n}" for k, n in list(extra.items())[:limit]]
    found += [f"waiting: only in truth: {k}" for k in sorted(truth.waiting - wire.waiting)[:limit]]
    found += [f"waiting: only through the wire: {k}" for k in sorted(wire.waiting - truth.waiting)[:limit]]
    return found


def compare_region(
    options: SimOptions, masterdata: MasterData, start: datetime, pseudonymiser: Pseudonymiser
) -> tuple[Region, Outcome, Outcome]:
    """Render, map back and evaluate a region: (region, truth outcome, wire outcome)."""
    region = render_region(options, masterdata, start, pseudonymiser)
    truth = outcome(region.truth, masterdata, until=region.until, names=region.names)
    wire = outcome(
        region.wire.events, masterdata, until=region.until, stays=frozenset(region.names.stays.values())
    )
    return region, truth, wire
