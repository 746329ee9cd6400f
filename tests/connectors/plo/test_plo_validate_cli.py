"""Every ELIN sample through ``hub validate`` (format detected): the printed events are the expected ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.events import Event
from tests.connectors.plo.conftest import SAMPLES, all_samples
from tests.connectors.plo.test_plo_samples import EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hub_validate_prints_the_expected_events(name: str) -> None:
    """`hub validate SAMPLE` accepts every sample (exit 0) and prints its canonical events, or says
    "accepted, no canonical events" when it maps to none."""
    (path,) = [p for p in all_samples() if p.name == name]
    result = CliRunner().invoke(cli, ["validate", str(path)])
    expected = EXPECTED[name]
    assert result.exit_code == 0, result.output
    assert "REJECTED" not in result.stderr
    assert ("accepted, no canonical events" in result.stderr) == (expected == [])
    events = [Event.model_validate_json(line) for line in result.stdout.splitlines() if line.strip()]
    got = [
        (
            e.event_type,
            e.occurred_at.replace(tzinfo=None).isoformat(),
            e.correction.action if e.correction else None,
        )
        for e in events
    ]
    assert got == expected
    assert "plo message" in result.stderr


def test_hub_validate_accepts_every_sample_at_once() -> None:
    """All samples in one call exit 0: no valid message of a supported standard is refused."""
    paths = [str(p) for p in all_samples()]
    result = CliRunner().invoke(cli, ["validate", *paths])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("accepted, no canonical events") == sum(1 for e in EXPECTED.values() if not e)
    assert len(paths) == len(EXPECTED) == 32


def test_hub_validate_still_rejects_an_invalid_message(tmp_path: Path) -> None:
    """A schema violation is still refused: exit 1 with REJECTED and the reason."""
    (path,) = [p for p in all_samples() if p.name == "Dialogmelding_avvik_v1-0.xml"]
    bad = tmp_path / "bad.xml"
    bad.write_bytes(path.read_bytes().replace(b"<TekstNotatInnhold>", b"<Ukjent/><TekstNotatInnhold>"))
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "REJECTED [schema]" in result.stderr


def test_hub_validate_rejects_an_unknown_format(tmp_path: Path) -> None:
    """A file in no supported format is rejected with exit code 1 and a reason naming the formats."""
    bad = tmp_path / "bad.txt"
    bad.write_text("this is not a health message")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "format not recognised" in result.stderr
    assert SAMPLES.exists()
