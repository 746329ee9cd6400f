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
    assert 2025 not in md.dognpris


def test_population_is_never_invented_and_capacities_are_marked() -> None:
    """No shipped population figure; every shipped capacity is marked illustrative."""
    md = load_masterdata()
    assert all(k.population is None for k in md.kommuner)
    assert all(u.capacity_is_illustrative for u in md.units.values())
    assert md.units["K5601-SYK"].kind is UnitKind.SYKESTUE


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
