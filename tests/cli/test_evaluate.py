"""``hub evaluate``: records, summary, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.cli.evaluate import evaluate
from hub.masterdata import load_masterdata
from hub.synth import SynthConfig, generate, jsonl_lines
from hub.synth.build import EventFactory, utc


def _file(tmp_path: Path, count: int = 1500) -> Path:
    path = tmp_path / "events.jsonl"
    events = generate(load_masterdata(), SynthConfig(seed=11, deviation_share=0.3), count)
    path.write_text("".join(jsonl_lines(events)), encoding="utf-8")
    return path


def test_prints_avvik_lines_and_summary_on_stderr(tmp_path: Path) -> None:
    """stdout holds one JSON avvik record per line; the summary goes to stderr."""
    result = CliRunner().invoke(evaluate, [str(_file(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines
    assert all(line["code"].startswith("SA") for line in lines)
    summary = json.loads(result.stderr)
    assert summary["events"] == 1500
    assert sum(sum(c.values()) for c in summary["avvik_by_code"].values()) == len(lines)


def test_summary_only_and_sorted_input_agree(tmp_path: Path) -> None:
    """--summary-only prints just the summary; --sort of already ordered input changes nothing."""
    path = _file(tmp_path)
    plain = CliRunner().invoke(evaluate, [str(path), "--summary-only"])
    ordered = CliRunner().invoke(evaluate, [str(path), "--summary-only", "--sort"])
    a, b = json.loads(plain.stdout), json.loads(ordered.stdout)
    assert a["avvik_by_code"] == b["avvik_by_code"]
    assert a["overliggedogn_total"] == b["overliggedogn_total"]


def test_bad_line_reports_its_number_or_is_skipped(tmp_path: Path) -> None:
    """A broken line stops the run naming the line; --skip-bad counts it instead."""
    path = _file(tmp_path, 50)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"event_type": "ADMITTED"}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    failed = CliRunner().invoke(evaluate, [str(path)])
    assert failed.exit_code != 0
    assert "line 3" in failed.output
    skipped = CliRunner().invoke(evaluate, [str(path), "--skip-bad", "--summary-only"])
    assert skipped.exit_code == 0
    assert json.loads(skipped.stdout)["bad_lines_skipped"] == 1


def test_registered_in_the_hub_command_group() -> None:
    """``hub evaluate`` is reachable from the ``hub`` command group."""
    assert "evaluate" in cli.commands


def test_until_moves_the_final_clock(tmp_path: Path) -> None:
    """Deadlines after the last event fire only when --until moves the final clock past them."""
    f = EventFactory("pseudo-cli-until-01", birth_year=1940)
    path = tmp_path / "one.jsonl"
    path.write_text("".join(jsonl_lines([f.admitted(utc(2024, 3, 4, 8), "E1")])), encoding="utf-8")
    default = json.loads(CliRunner().invoke(evaluate, [str(path), "--summary-only"]).stdout)
    later = json.loads(
        CliRunner().invoke(evaluate, [str(path), "--summary-only", "--until", "2024-03-06"]).stdout
    )
    assert default["avvik_by_code"] == {}
    assert later["avvik_by_code"] == {"SA01": {"OPEN": 1}}
