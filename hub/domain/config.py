"""Thresholds of the rules (per helsefellesskap) and of the engine itself.

:class:`RuleConfig` defaults are the DESIGN §5 catalogue; a :class:`RuleBook` holds per-helsefellesskap
overrides (from ``rule_overrides.json`` in master data). :class:`EngineConfig` is global to an engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from hub.errors import ConfigError
from hub.masterdata.model import MasterData

ALL_CODES = frozenset(f"SA{n:02d}" for n in range(1, 15))


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Thresholds of SA01-SA14 for one helsefellesskap (defaults from DESIGN §5)."""

    enabled: frozenset[str] = ALL_CODES
    sa01_notify_within: timedelta = timedelta(hours=24)
    sa01_min_age: int = 75
    sa02_report_within: timedelta = timedelta(hours=24)
    sa07_epikrise_within: timedelta = timedelta(days=1)
    sa08_report_within: timedelta = timedelta(hours=24)
    sa09_window: timedelta = timedelta(days=30)
    sa10_kad_max: timedelta = timedelta(hours=72)
    sa10_sykestue_max: timedelta = timedelta(days=14)
    sa11_bounce_within: timedelta = timedelta(hours=24)
    sa12_tettsted_max: timedelta = timedelta(minutes=12)
    sa12_rural_max: timedelta = timedelta(minutes=25)

    def is_enabled(self, code: str) -> bool:
        """True when rule ``code`` runs for this helsefellesskap."""
        return code in self.enabled

    def with_overrides(self, values: Mapping[str, Any]) -> RuleConfig:
        """A copy with ``values`` applied (durations in seconds, ``enabled`` a list of codes)."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name.startswith("_"):
                continue
            if name not in known:
                raise ConfigError(f"unknown rule setting {name!r}")
            current = getattr(self, name)
            try:
                if isinstance(current, timedelta):
                    changes[name] = timedelta(seconds=float(value))
                elif isinstance(current, frozenset):
                    codes = frozenset(str(v) for v in value)
                    if not codes <= ALL_CODES:
                        raise ConfigError(f"unknown rule codes in enabled: {sorted(codes - ALL_CODES)}")
                    changes[name] = codes
                else:
                    changes[name] = int(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"bad value for rule setting {name!r}: {value!r}") from exc
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class RuleBook:
    """Rule thresholds: a default and overrides by helsefellesskap id."""

    default: RuleConfig = field(default_factory=RuleConfig)
    overrides: Mapping[str, RuleConfig] = field(default_factory=dict)

    def for_helsefellesskap(self, helsefellesskap_id: str | None) -> RuleConfig:
        """The thresholds of one helsefellesskap (the default when it has no override)."""
        if helsefellesskap_id is None:
            return self.default
        return self.overrides.get(helsefellesskap_id, self.default)

    @classmethod
    def from_masterdata(cls, masterdata: MasterData, default: RuleConfig | None = None) -> RuleBook:
        """Default thresholds with the master data's per-helsefellesskap overrides applied."""
        base = default or RuleConfig()
        return cls(
            default=base,
            overrides={hf: base.with_overrides(values) for hf, values in masterdata.rule_overrides.items()},
        )


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Engine-wide settings.

    ``allowed_lateness``: an event whose ``occurred_at`` is at most this much behind the clock still counts as
    on time; findings about an instant ``t`` are published once the clock passes ``t + allowed_lateness``.
    ``pathway_gap``: a pathway ends when the patient has had no open ambulance mission, hospital stay or
    KAD/sykestue stay for this long. ``retention``: closed pathways are pruned from the state this long after
    they end (must exceed the 30-day readmission window). ``eager``: see the field.
    """

    allowed_lateness: timedelta = timedelta(minutes=15)
    pathway_gap: timedelta = timedelta(hours=24)
    retention: timedelta = timedelta(days=35)
    stay_match_tolerance: timedelta = timedelta(hours=2)
    """Admissions of one patient at one helseforetak this close in time, from any sources, are one stay."""
    report_grace: timedelta = timedelta(days=30)
    """A fact that names no known stay (PLO, Epikrise) still belongs to a stay this long after discharge."""
    eager: bool = True
    """True (live): bed deltas and the pathway summary are published on every apply. False (replay, batch):
    everything is computed when the patient's facts become visible, once per patient and clock step."""

    def __post_init__(self) -> None:
        if self.allowed_lateness < timedelta(0):
            raise ConfigError("allowed_lateness must not be negative")
        if self.stay_match_tolerance < timedelta(0) or self.report_grace < timedelta(0):
            raise ConfigError("stay_match_tolerance and report_grace must not be negative")
        if self.retention < timedelta(days=31):
            raise ConfigError("retention must be at least 31 days (30-day readmission window)")
