"""Truth through the wire with the command line only: `hub simulate --out/--truth`, `hub validate` on the
files, `hub evaluate` on both give the same avvik; simulate and evaluate need no key (outside dev too)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli.evaluate import evaluate
from hub.cli.simulate import simulate
from hub.cli.validate import validate


def _avvik(runner: CliRunner, events: Path) -> list[tuple[object, ...]]:
    result = runner.invoke(evaluate, ["--sort", str(events)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    keys = ("code", "status", "detected_at", "resolved_at", "kommunenummer")
    return sorted(tuple(str(r[k]) for k in keys) for r in rows)


def test_simulated_files_through_validate_give_the_truths_avvik(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two days of seed 1: the avvik of the truth file and of the validated messages are equal."""
    monkeypatch.delenv("HUB_ENV", raising=False)  # production mode: simulate and evaluate hold no secret
    runner = CliRunner()
    out, truth = tmp_path / "messages", tmp_path / "truth.jsonl"
    args = ["--start", "2024-05-01", "--duration", "48", "--seed", "1", "--deviation-share", "0.4"]
    made = runner.invoke(simulate, [*args, "--out", str(out), "--truth", str(truth)])
    assert made.exit_code == 0, made.output
    files = sorted(str(p) for p in out.iterdir())
    monkeypatch.setenv(
        "HUB_ENV", "dev"
    )  # validate pseudonymises: the development key, as on a developer machine
    mapped = runner.invoke(validate, files)
    assert mapped.exit_code == 0, mapped.output
    wire = tmp_path / "wire.jsonl"
    wire.write_text("".join(line + "\n" for line in mapped.stdout.splitlines() if line.startswith("{")))
    monkeypatch.delenv("HUB_ENV")
    expected = _avvik(runner, truth)
    assert expected, "the region raised avvik"
    assert _avvik(runner, wire) == expected
