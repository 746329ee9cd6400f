"""Loading the shipped master data and overriding it from a directory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.domain import RuleBook
from hub.errors import ConfigError
from hub.events import UnitKind
from hub.masterdata import load_masterdata


def test_shipped_data_has_19_helsefellesskap_and_versioned_kommuner() -> None:
    """The 19 helsefellesskap load, and Finnmark's kommunenummer change on 1 January 2024."""
    md = load_masterdata()
    assert len(md.helsefellesskap) == 19
    assert md.helsefellesskap_for_kommune("5403", date(2023, 12, 31)) == "HF-FINNMARK"
    assert md.helsefellesskap_for_kommune("5403", date(2024, 1, 1)) is None
    assert md.helsefellesskap_for_kommune("5601", date(2024, 1, 1)) == "HF-FINNMARK"
    assert md.helsefellesskap_for_kommune("5006", date(2024, 6, 1)) == "HF-HNT"
    assert md.helsefellesskap_for_hf("HNT") == "HF-HNT"
    assert md.dognpris[2014] == 4255
    assert md.dognpris[2024] == 5745
    assert not md.dognpris_assumed(2024)
    assert md.assumed_dognpris_years() == (2025, 2026)
    assert md.dognpris[2025] == md.dognpris[2024], "the assumption carries the last official price forward"


def test_every_population_names_its_ssb_year_and_source_and_sums_to_the_county() -> None:
    """Each kommune has an SSB figure with year and source; the old counties' totals match SSB's."""
    md = load_masterdata()
    assert all(k.population and k.population_year and k.population_source for k in md.kommuner)
    assert all((k.population_source or "").startswith("SSB") for k in md.kommuner)
    finnmark = sum(
        md.population(k.kommunenummer, date(2024, 6, 1)) or 0
        for k in md.kommuner_of("HF-FINNMARK", date(2024, 6, 1))
    )
    assert finnmark == 76_149  # SSB, Finnmark 1 January 2017
    hnt = md.kommuner_of("HF-HNT", date(2024, 6, 1))
    old_nt = sum(k.population or 0 for k in hnt if k.kommunenummer != "1811")
    assert old_nt == 133_390 - 3_527  # SSB, Nord-Trøndelag 1 January 2012, without Leksvik
    assert md.population("1811", date(2024, 6, 1)) == 1_592


def test_capacities_are_marked_and_rates_name_their_basis() -> None:
    """Capacities are illustrative unless a source is named; each rate says sourced, derived or assumption."""
    md = load_masterdata()
    sourced = {u.unit_id for u in md.units.values() if not u.capacity_is_illustrative}
    assert sourced == {"FIN-KIR-MED"}
    assert md.units["FIN-KIR-MED"].beds == 24
    assert md.units["K5601-SYK"].kind is UnitKind.SYKESTUE
    assert md.rates
    assert {r.basis for r in md.rates.values()} <= {"sourced", "derived", "assumption"}
    finnmark = md.rate("frail_stays_per_patient", "HF-FINNMARK")
    assert finnmark is not None
    assert finnmark.basis == "derived"
    assert round(finnmark.value * 863) == 1760
    fallback = md.rate("frail_stays_per_patient", "HF-HNT")
    assert fallback is not None
    assert fallback.is_assumption


def test_bad_rate_or_dognpris_basis_is_a_config_error(tmp_path: Path) -> None:
    """A rate without a source, or a døgnpris basis that is neither official nor assumption, is refused."""
    (tmp_path / "rates.csv").write_text(
        "name,scope,value,unit,basis,source\nx,*,1,u,guess,\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError):
        load_masterdata(tmp_path)
    (tmp_path / "rates.csv").unlink()
    (tmp_path / "dognpris.csv").write_text("year,nok,basis\n2027,6000,hope\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_masterdata(tmp_path)


def test_override_directory_replaces_and_adds_rows(tmp_path: Path) -> None:
    """Rows in an override file replace shipped rows with the same key and add new ones."""
    (tmp_path / "kommuner.csv").write_text(
        "# test override\n"
        "kommunenummer,name,helsefellesskap_id,valid_from,valid_to,population,population_year\n"
        "5037,Levanger,HF-HNT,2018-01-01,,12345,2024\n",
        encoding="utf-8",
    )
    (tmp_path / "dognpris.csv").write_text("year,nok\n2025,6000\n", encoding="utf-8")
    (tmp_path / "rule_overrides.json").write_text(
        '{"overrides": {"HF-FINNMARK": {"sa12_rural_max": 1800, "enabled": ["SA12"]}}}', encoding="utf-8"
    )
    md = load_masterdata(tmp_path)
    assert md.population("5037", date(2024, 6, 1)) == 12345
    assert md.dognpris[2025] == 6000
    assert not md.dognpris_assumed(2025), "an override row without basis is official"
    assert md.dognpris[2024] == 5745
    book = RuleBook.from_masterdata(md)
    finnmark = book.for_helsefellesskap("HF-FINNMARK")
    assert finnmark.sa12_rural_max.total_seconds() == 1800
    assert not finnmark.is_enabled("SA01")
    assert book.for_helsefellesskap("HF-HNT").is_enabled("SA01")


def test_bad_override_is_a_config_error(tmp_path: Path) -> None:
    """A row naming an unknown helsefellesskap, or a missing directory, is a ConfigError."""
    (tmp_path / "kommuner.csv").write_text(
        "kommunenummer,name,helsefellesskap_id,valid_from,valid_to,population,population_year\n"
        "9999,Nowhere,HF-NOPE,2024-01-01,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="unknown helsefellesskap"):
        load_masterdata(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_masterdata(tmp_path / "missing")
    (tmp_path / "kommuner.csv").unlink()
    (tmp_path / "rule_overrides.json").write_text('{"overrides": {"HF-HNT": {"sa99": 1}}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown rule setting"):
        RuleBook.from_masterdata(load_masterdata(tmp_path))
