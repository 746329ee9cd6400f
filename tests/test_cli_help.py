"""The installed ``hub`` console script and its help texts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HUB = Path(sys.executable).parent / "hub"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], ["infra", "worker", "connector", "validate", "evaluate", "replay", "report", "demo"]),
        (["infra", "--help"], ["up", "status", "down"]),
        (["connector", "--help"], ["hl7", "fhir", "plo", "ambulance", "kpr"]),
        (["demo", "--help"], ["--speed", "--duration"]),
    ],
)
def test_help_from_the_installed_script(args: list[str], expected: list[str]) -> None:
    """`hub … --help` works from the installed console script and names its subcommands."""
    result = subprocess.run([str(HUB), *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    for word in expected:
        assert word in result.stdout


def test_errors_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A hub error (here: a missing master data override directory) exits 1 with `error:` and no traceback."""
    env = {"HUB_MASTERDATA_DIR": str(tmp_path / "missing"), "PATH": "/usr/bin:/bin"}
    events = tmp_path / "e.jsonl"
    events.write_text("")
    result = subprocess.run(
        [str(HUB), "evaluate", str(events)], capture_output=True, text=True, timeout=60, check=False, env=env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
