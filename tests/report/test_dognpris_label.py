"""Betalingsplikt priced with an assumed døgnpris is labelled; `hub report tabell6` prints Tabell 6."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from hub.cli.report import report as report_cli
from hub.events.outputs import AvvikStatus
from hub.masterdata import load_masterdata
from hub.report.avvik import build_report
from hub.report.markdown import render_markdown
from hub.synth.generator import SynthConfig
from hub.synth.region import generate_region
from tests.report.test_avvik_report import HFS, rec


def test_assumed_year_is_labelled_and_an_official_year_is_not() -> None:
    """SA05 of 2025 (assumed døgnpris in master data) gets the label; SA05 of 2024 (official) does not."""
    md = load_masterdata()
    at_2025 = datetime(2025, 3, 5, 10, tzinfo=UTC)
    at_2024 = datetime(2024, 3, 5, 10, tzinfo=UTC)
    sa05 = {"overliggedogn": 2, "betalingsplikt_nok": 11_490.0}
    assumed = build_report(
        [rec("a", "SA05", AvvikStatus.OPEN, at_2025, **sa05)], helsefellesskap=HFS, masterdata=md
    )
    official = build_report(
        [rec("b", "SA05", AvvikStatus.OPEN, at_2024, **sa05)], helsefellesskap=HFS, masterdata=md
    )
    assert assumed.assumed_dognpris_years == (2025,)
    assert "Antatt døgnpris for 2025" in render_markdown(assumed)
    assert official.assumed_dognpris_years == ()
    assert "Antatt døgnpris" not in render_markdown(official)


def test_tabell6_command_prints_the_finnmark_row(tmp_path: Path) -> None:
    """`hub report tabell6` reads canonical events and prints a row for Finnmarkssykehuset and the sum."""
    config = SynthConfig(
        helsefellesskap_id="HF-FINNMARK", start=datetime(2024, 1, 1, tzinfo=UTC), span_days=60, seed=3
    )
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(e.model_dump_json() + "\n" for e in generate_region(load_masterdata(), config)),
        encoding="utf-8",
    )
    out = tmp_path / "tabell6.md"
    result = CliRunner().invoke(
        report_cli,
        ["tabell6", "--input", str(events), "--from", "2024-01-01", "--to", "2024-02-29", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "| Finnmarkssykehuset HF |" in result.output
    assert "| Sum |" in result.output
    assert out.read_text(encoding="utf-8") == result.output
    refused = CliRunner().invoke(
        report_cli, ["tabell6", "--input", str(events), "--from", "2024-03-01", "--to", "2024-02-01"]
    )
    assert refused.exit_code != 0
