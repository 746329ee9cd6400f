"""`hub simulate --out DIR --truth FILE` writes the messages as files and the timeline behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli.simulate import simulate


def test_out_writes_one_file_per_message_with_the_protocol_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are numbered in send order, named by kind, and the truth is canonical events as JSON lines."""
    monkeypatch.setenv("HUB_ENV", "dev")
    out, truth = tmp_path / "messages", tmp_path / "truth.jsonl"
    args = [
        "--start",
        "2024-05-01",
        "--duration",
        "48",
        "--seed",
        "3",
        "--out",
        str(out),
        "--truth",
        str(truth),
    ]
    result = CliRunner().invoke(simulate, args)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names[0].startswith("000001-")
    assert {n.rsplit(".", 1)[1] for n in names} <= {"hl7", "xml", "json", "csv"}
    assert any(n.endswith(".hl7") for n in names)
    assert any(n.endswith(".xml") for n in names)
    events = [json.loads(line) for line in truth.read_text().splitlines()]
    assert events
    assert all("event_type" in e and "occurred_at" in e for e in events)
    assert f"wrote {len(names)} messages" in result.output
    again = tmp_path / "again"
    CliRunner().invoke(simulate, [*args[:-4], "--out", str(again)])
    assert [(out / n).read_bytes() for n in names] == [(again / n).read_bytes() for n in names]


def test_truth_without_out_is_a_usage_error(tmp_path: Path) -> None:
    """--truth alone is refused with a clear message."""
    result = CliRunner().invoke(simulate, ["--truth", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 2
    assert "--truth goes with --out" in result.output
