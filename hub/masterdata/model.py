"""Parsed master data as frozen value objects with the lookups the domain core needs. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from hub.events.enums import UnitKind

RuleOverride = Mapping[str, int | float | str | bool | list[str]]


@dataclass(frozen=True, slots=True)
class Helsefellesskap:
    """One of the 19 helsefellesskap (one HF and its kommuner)."""

    id: str
    name: str
    region: str


@dataclass(frozen=True, slots=True)
class Helseforetak:
    """A helseforetak (or private non-profit hospital) and the helsefellesskap it belongs to."""

    hf_id: str
    name: str
    helsefellesskap_id: str


@dataclass(frozen=True, slots=True)
class Kommune:
    """A kommunenummer valid in ``[valid_from, valid_to)``; population only when a sourced figure is given."""

    kommunenummer: str
    name: str
    helsefellesskap_id: str
    valid_from: date
    valid_to: date | None = None
    population: int | None = None
    population_year: int | None = None
    population_source: str | None = None
    """Where ``population`` comes from (a code explained in the ``kommuner.csv`` header)."""

    def valid_on(self, day: date) -> bool:
        """True when this row applies on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass(frozen=True, slots=True)
class Unit:
    """A care unit; ``capacity_source`` says whether ``beds`` is sourced or an illustrative demo value."""

    unit_id: str
    name: str
    kind: UnitKind
    hf_id: str | None
    kommunenummer: str | None
    beds: int | None
    capacity_source: str
    valid_from: date

    @property
    def capacity_is_illustrative(self) -> bool:
        """True when the bed count is a demo value, not a sourced figure."""
        return self.capacity_source.strip().lower() == "illustrative"


@dataclass(frozen=True, slots=True)
class Rate:
    """A calibration rate of the synthetic region with its provenance (``rates.csv``)."""

    name: str
    scope: str
    """A helsefellesskap id, or ``*`` for every helsefellesskap without its own row."""
    value: float
    unit: str
    basis: str
    """``sourced`` (a published figure), ``derived`` (computed from sourced figures) or ``assumption``."""
    source: str

    @property
    def is_assumption(self) -> bool:
        """True when no published figure stands behind the value."""
        return self.basis.strip().lower() == "assumption"


@dataclass(frozen=True, slots=True)
class OrgCode:
    """One way a source names a place (``system`` + ``code``) and the organisation it stands for."""

    system: str
    """``her``, ``hl7-facility``, ``hl7-unit``, ``fhir-organization``, ``fhir-location``, ``kpr-unit``,
    ``amk``."""
    code: str
    hf_id: str | None = None
    hospital: str | None = None
    unit_id: str | None = None
    kommunenummer: str | None = None
    source: str = "unknown"


@dataclass(frozen=True, slots=True)
class MasterData:
    """All master data, with date-aware lookups. Build with :func:`hub.masterdata.load_masterdata`."""

    helsefellesskap: Mapping[str, Helsefellesskap] = field(default_factory=dict)
    helseforetak: Mapping[str, Helseforetak] = field(default_factory=dict)
    kommuner: tuple[Kommune, ...] = ()
    units: Mapping[str, Unit] = field(default_factory=dict)
    dognpris: Mapping[int, int] = field(default_factory=dict)
    rule_overrides: Mapping[str, RuleOverride] = field(default_factory=dict)
    organisations: Mapping[tuple[str, str], OrgCode] = field(default_factory=dict)
    """Source codes of places, by ``(system, code)`` (``organisations.csv``)."""
    dognpris_basis: Mapping[int, str] = field(default_factory=dict)
    """Year -> ``official`` or ``assumption`` (``dognpris.csv``); a year missing here counts as official."""
    rates: Mapping[tuple[str, str], Rate] = field(default_factory=dict)
    """Calibration rates of the synthetic region, by ``(name, scope)`` (``rates.csv``)."""
    _by_number: Mapping[str, tuple[Kommune, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Kommune]] = {}
        for row in self.kommuner:
            index.setdefault(row.kommunenummer, []).append(row)
        frozen = {k: tuple(sorted(v, key=lambda r: r.valid_from)) for k, v in index.items()}
        object.__setattr__(self, "_by_number", MappingProxyType(frozen))

    def kommune(self, kommunenummer: str, on: date) -> Kommune | None:
        """The kommune row valid on ``on`` for this number, or None."""
        for row in self._by_number.get(kommunenummer, ()):
            if row.valid_on(on):
                return row
        return None

    def helsefellesskap_for_kommune(self, kommunenummer: str | None, on: date) -> str | None:
        """Helsefellesskap id of a kommune on a date (kommunenummer change with reforms)."""
        if kommunenummer is None:
            return None
        row = self.kommune(kommunenummer, on)
        return row.helsefellesskap_id if row else None

    def helsefellesskap_for_hf(self, hf_id: str | None) -> str | None:
        """Helsefellesskap id of a helseforetak id, or None when unknown."""
        if hf_id is None:
            return None
        hf = self.helseforetak.get(hf_id)
        return hf.helsefellesskap_id if hf else None

    def population(self, kommunenummer: str, on: date) -> int | None:
        """Sourced population of a kommune, or None (then it must come from configuration)."""
        row = self.kommune(kommunenummer, on)
        return row.population if row else None

    def dognpris_assumed(self, year: int) -> bool:
        """True when the døgnpris of ``year`` is a configured assumption, not a published figure."""
        return year in self.dognpris and self.dognpris_basis.get(year, "official") == "assumption"

    def assumed_dognpris_years(self) -> tuple[int, ...]:
        """Years whose døgnpris is an assumption, sorted."""
        return tuple(sorted(y for y in self.dognpris if self.dognpris_assumed(y)))

    def rate(self, name: str, helsefellesskap_id: str | None = None) -> Rate | None:
        """The rate for a helsefellesskap (its own row, else the ``*`` default row), or None."""
        if helsefellesskap_id is not None and (name, helsefellesskap_id) in self.rates:
            return self.rates[(name, helsefellesskap_id)]
        return self.rates.get((name, "*"))

    def unit(self, unit_id: str | None) -> Unit | None:
        """The unit with this id, or None."""
        return self.units.get(unit_id) if unit_id else None

    def org_code(self, system: str, code: str | None) -> OrgCode | None:
        """The organisation a source code names, or None when no row names it."""
        return self.organisations.get((system, code)) if code else None

    def codes_of(self, system: str, *, hospital: str | None = None, unit_id: str | None = None) -> str | None:
        """The first code (sorted) of ``system`` naming a hospital (and unit), for renderers; None if none."""
        found = sorted(
            c.code
            for c in self.organisations.values()
            if c.system == system and c.hospital == hospital and c.unit_id == unit_id
        )
        return found[0] if found else None

    def kommune_code(self, system: str, kommunenummer: str | None) -> str | None:
        """The code of ``system`` naming a kommune itself (no HF), or None."""
        found = sorted(
            c.code
            for c in self.organisations.values()
            if c.system == system and c.kommunenummer == kommunenummer and c.hf_id is None and kommunenummer
        )
        return found[0] if found else None

    def kommuner_of(self, helsefellesskap_id: str, on: date) -> tuple[Kommune, ...]:
        """Kommuner of a helsefellesskap valid on a date, sorted by number."""
        rows = (r for r in self.kommuner if r.helsefellesskap_id == helsefellesskap_id and r.valid_on(on))
        return tuple(sorted(rows, key=lambda r: r.kommunenummer))

    def units_of(
        self, *, hf_id: str | None = None, kommuner: frozenset[str] = frozenset()
    ) -> tuple[Unit, ...]:
        """Units of an HF or in the given kommuner, sorted by id."""
        rows = (
            u
            for u in self.units.values()
            if (hf_id is not None and u.hf_id == hf_id) or (u.hf_id is None and u.kommunenummer in kommuner)
        )
        return tuple(sorted(rows, key=lambda u: u.unit_id))
