"""Ward occupancy of the calibrated region offline: its events through the domain core, no broker.

:func:`ward_occupancy` generates the region (:func:`hub.synth.region.generate_region`, with its census
start), applies every event to the domain :class:`~hub.domain.Engine` as the worker does, folds the
engine's :class:`~hub.domain.BedDelta` effects into a :class:`~hub.domain.BedLedger` as the bed-metrics agent
does, and reads the board's figure: patients in the unit at an instant over the unit's capacity (master data,
as the board's unit rows). Used to calibrate the demo region (issue 16: every ward 60-100 %).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.domain import BedDelta, BedLedger, Engine, EngineConfig, MemoryStore
from hub.events import Event, UnitKind
from hub.masterdata.model import MasterData, Unit
from hub.synth.generator import SynthConfig
from hub.synth.region import generate_region

WARD_KINDS = frozenset({UnitKind.WARD})


@dataclass(frozen=True, slots=True)
class UnitOccupancy:
    """Patients in bed and the share of capacity at each sample instant of one unit."""

    unit_id: str
    beds: int
    occupied: tuple[int, ...]

    @property
    def shares(self) -> tuple[float, ...]:
        """Occupancy (occupied / beds) at each sample instant, as the board computes ``belegg``."""
        return tuple(n / self.beds for n in self.occupied)


def ledger_of(events: Iterable[Event], masterdata: MasterData) -> BedLedger:
    """The bed ledger the bed-metrics agent would hold after ``events`` (in event-time order)."""
    engine = Engine(masterdata, config=EngineConfig(), store=MemoryStore())  # eager: as the live worker
    ledger = BedLedger()
    for event in events:
        for effect in engine.apply(event):
            if isinstance(effect, BedDelta):
                ledger.apply(effect)
    return ledger


def region_units(masterdata: MasterData, config: SynthConfig, kinds: frozenset[UnitKind]) -> list[Unit]:
    """Units of the region's HF (wards) and kommuner (KAD, sykestue) of the given kinds with a capacity."""
    hfs = {
        h.hf_id for h in masterdata.helseforetak.values() if h.helsefellesskap_id == config.helsefellesskap_id
    }
    kommuner = frozenset(
        k.kommunenummer for k in masterdata.kommuner_of(config.helsefellesskap_id, config.start.date())
    )
    units = [u for hf in sorted(hfs) for u in masterdata.units_of(hf_id=hf, kommuner=kommuner)]
    seen: dict[str, Unit] = {u.unit_id: u for u in units if u.kind in kinds and u.beds}
    return [seen[k] for k in sorted(seen)]


def ward_occupancy(
    masterdata: MasterData,
    config: SynthConfig,
    at: Sequence[datetime],
    *,
    kinds: frozenset[UnitKind] = WARD_KINDS,
) -> list[UnitOccupancy]:
    """Occupancy of the region's units (default: hospital wards) at each instant of ``at``.

    The region runs from ``config.start - config.census_days`` to ``config.start + config.span_days``;
    instants should lie in ``[start, start + span_days)``.
    """
    ledger = ledger_of(generate_region(masterdata, config), masterdata)
    result = []
    for unit in region_units(masterdata, config, kinds):
        beds = unit.beds or 0
        result.append(UnitOccupancy(unit.unit_id, beds, tuple(ledger.census(unit.unit_id, t) for t in at)))
    return result
