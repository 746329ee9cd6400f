"""Every ELIN sample through ``hub validate`` (format detected): the printed events are the expected ones."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.events import Event
from tests.connectors.plo.conftest import SAMPLES, all_samples
from tests.connectors.plo.test_plo_samples import EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hub_validate_prints_the_expected_events(name: str) -> None:
    """`hub validate SAMPLE` prints its canonical events, or rejects it with exit code 1 and a reason."""
    (path,) = [p for p in all_samples() if p.name == name]
    result = CliRunner().invoke(cli, ["validate", str(path)])
    expected = EXPECTED[name]
    if isinstance(expected, type):
        assert result.exit_code == 1
        assert "REJECTED" in result.stderr
        assert result.stdout == ""
        return
    assert result.exit_code == 0, result.output
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


def test_hub_validate_rejects_an_unknown_format(tmp_path: object) -> None:
    """A file in no supported format is rejected with exit code 1 and a reason naming the formats."""
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.txt"
    bad.write_text("this is not a health message")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "format not recognised" in result.stderr
    assert SAMPLES.exists()
