"""Read the master data files (CSV with ``#`` header comments, JSON) into :class:`MasterData`.

The shipped files live in ``hub/masterdata/data``. ``override_dir`` (``HubSettings.masterdata_dir``) may hold
files with the same names: their rows replace shipped rows with the same key and add new ones
(key: ``id`` / ``hf_id`` / ``(kommunenummer, valid_from)`` / ``unit_id`` / ``year`` / ``(name, scope)``;
rule overrides per helsefellesskap id). This is the only module of the core that touches the file system.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from hub.errors import ConfigError
from hub.events.enums import UnitKind
from hub.masterdata.model import (
    Helsefellesskap,
    Helseforetak,
    Kommune,
    MasterData,
    OrgCode,
    Rate,
    RuleOverride,
    Unit,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
T = TypeVar("T")


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read master data file {path}: {exc}") from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    for number, row in enumerate(reader, start=2):
        yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def _merged(
    name: str, override_dir: Path | None, parse: Callable[[dict[str, str]], T], key: Callable[[T], object]
) -> list[T]:
    result: dict[object, T] = {}
    paths = [DATA_DIR / name]
    if override_dir is not None and (override_dir / name).exists():
        paths.append(override_dir / name)
    for path in paths:
        for number, row in _rows(path):
            try:
                item = parse(row)
            except (KeyError, ValueError) as exc:
                raise ConfigError(f"{path}: row {number}: {exc!r}") from exc
            result[key(item)] = item
    return list(result.values())


def _opt_int(value: str) -> int | None:
    return int(value) if value else None


def _opt_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _helsefellesskap(row: dict[str, str]) -> Helsefellesskap:
    return Helsefellesskap(id=row["id"], name=row["name"], region=row["region"])


def _helseforetak(row: dict[str, str]) -> Helseforetak:
    return Helseforetak(hf_id=row["hf_id"], name=row["name"], helsefellesskap_id=row["helsefellesskap_id"])


def _kommune(row: dict[str, str]) -> Kommune:
    if len(row["kommunenummer"]) != 4 or not row["kommunenummer"].isdigit():
        raise ValueError(f"kommunenummer must be 4 digits, got {row['kommunenummer']!r}")
    return Kommune(
        kommunenummer=row["kommunenummer"],
        name=row["name"],
        helsefellesskap_id=row["helsefellesskap_id"],
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_to=_opt_date(row.get("valid_to", "")),
        population=_opt_int(row.get("population", "")),
        population_year=_opt_int(row.get("population_year", "")),
        population_source=row.get("population_source") or None,
    )


def _unit(row: dict[str, str]) -> Unit:
    return Unit(
        unit_id=row["unit_id"],
        name=row["name"],
        kind=UnitKind(row["kind"]),
        hf_id=row.get("hf_id") or None,
        kommunenummer=row.get("kommunenummer") or None,
        beds=_opt_int(row.get("beds", "")),
        capacity_source=row.get("capacity_source") or "unknown",
        valid_from=date.fromisoformat(row["valid_from"]),
    )


ORG_SYSTEMS = frozenset(
    {"her", "hl7-facility", "hl7-unit", "fhir-organization", "fhir-location", "kpr-unit", "amk"}
)


def _org_code(row: dict[str, str]) -> OrgCode:
    if row["system"] not in ORG_SYSTEMS:
        raise ValueError(f"unknown code system {row['system']!r}; known: {', '.join(sorted(ORG_SYSTEMS))}")
    if not row["code"]:
        raise ValueError("code must not be empty")
    return OrgCode(
        system=row["system"],
        code=row["code"],
        hf_id=row.get("hf_id") or None,
        hospital=row.get("hospital") or None,
        unit_id=row.get("unit_id") or None,
        kommunenummer=row.get("kommunenummer") or None,
        source=row.get("source") or "unknown",
    )


DOGNPRIS_BASES = frozenset({"official", "assumption"})
RATE_BASES = frozenset({"sourced", "derived", "assumption"})


def _dognpris(row: dict[str, str]) -> tuple[int, int, str]:
    basis = row.get("basis") or "official"
    if basis not in DOGNPRIS_BASES:
        raise ValueError(f"basis must be one of {', '.join(sorted(DOGNPRIS_BASES))}, got {basis!r}")
    return int(row["year"]), int(row["nok"]), basis


def _rate(row: dict[str, str]) -> Rate:
    if row["basis"] not in RATE_BASES:
        raise ValueError(f"basis must be one of {', '.join(sorted(RATE_BASES))}, got {row['basis']!r}")
    if not row.get("source"):
        raise ValueError(f"rate {row['name']!r} names no source")
    return Rate(
        name=row["name"],
        scope=row.get("scope") or "*",
        value=float(row["value"]),
        unit=row.get("unit", ""),
        basis=row["basis"],
        source=row["source"],
    )


def _rule_overrides(override_dir: Path | None) -> dict[str, RuleOverride]:
    result: dict[str, RuleOverride] = {}
    paths = [DATA_DIR / "rule_overrides.json"]
    if override_dir is not None and (override_dir / "rule_overrides.json").exists():
        paths.append(override_dir / "rule_overrides.json")
    for path in paths:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read rule overrides {path}: {exc}") from exc
        overrides = data.get("overrides", {}) if isinstance(data, dict) else None
        if not isinstance(overrides, dict):
            raise ConfigError(f"{path}: 'overrides' must be an object keyed by helsefellesskap id")
        for hf_id, values in overrides.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{path}: overrides for {hf_id!r} must be an object")
            result[str(hf_id)] = {**result.get(str(hf_id), {}), **values}
    return result


def load_masterdata(override_dir: Path | None = None) -> MasterData:
    """Load the shipped master data, with rows from ``override_dir`` (if given) replacing or adding rows."""
    if override_dir is not None and not override_dir.is_dir():
        raise ConfigError(f"master data override directory {override_dir} does not exist")
    helsefellesskap = _merged("helsefellesskap.csv", override_dir, _helsefellesskap, lambda h: h.id)
    helseforetak = _merged("helseforetak.csv", override_dir, _helseforetak, lambda h: h.hf_id)
    kommuner = _merged("kommuner.csv", override_dir, _kommune, lambda k: (k.kommunenummer, k.valid_from))
    units = _merged("units.csv", override_dir, _unit, lambda u: u.unit_id)
    prices = _merged("dognpris.csv", override_dir, _dognpris, lambda p: p[0])
    orgs = _merged("organisations.csv", override_dir, _org_code, lambda o: (o.system, o.code))
    rates = _merged("rates.csv", override_dir, _rate, lambda r: (r.name, r.scope))
    known = {h.id for h in helsefellesskap}
    for hf in helseforetak:
        if hf.helsefellesskap_id not in known:
            raise ConfigError(
                f"helseforetak {hf.hf_id} names unknown helsefellesskap {hf.helsefellesskap_id}"
            )
    hf_ids = {h.hf_id for h in helseforetak}
    for org in orgs:
        if org.hf_id is not None and org.hf_id not in hf_ids:
            raise ConfigError(
                f"organisation code {org.system}:{org.code} names unknown helseforetak {org.hf_id}"
            )
    for row in kommuner:
        if row.helsefellesskap_id not in known:
            raise ConfigError(
                f"kommune {row.kommunenummer} names unknown helsefellesskap {row.helsefellesskap_id}"
            )
    return MasterData(
        helsefellesskap={h.id: h for h in helsefellesskap},
        helseforetak={h.hf_id: h for h in helseforetak},
        kommuner=tuple(sorted(kommuner, key=lambda k: (k.kommunenummer, k.valid_from))),
        units={u.unit_id: u for u in units},
        dognpris={year: nok for year, nok, _ in sorted(prices)},
        dognpris_basis={year: basis for year, _, basis in sorted(prices)},
        rates={(r.name, r.scope): r for r in rates},
        rule_overrides=_rule_overrides(override_dir),
        organisations={(o.system, o.code): o for o in orgs},
    )
