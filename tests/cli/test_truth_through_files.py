"""Truth through the wire with the command line only: `hub simulate --out/--truth`, `hub validate` on the
files, `hub evaluate` on both give the same avvik; none of them needs a key or HUB_ENV=dev (validate makes
this machine's own key), and validate never uses the public development key outside dev."""

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
    monkeypatch.delenv("HUB_ENV", raising=False)  # production mode, on a machine that never ran the hub
    monkeypatch.setenv("HUB_INFRA__STATE_DIR", str(tmp_path / "state"))
    runner = CliRunner()
    out, truth = tmp_path / "messages", tmp_path / "truth.jsonl"
    args = ["--start", "2024-05-01", "--duration", "48", "--seed", "1", "--deviation-share", "0.4"]
    made = runner.invoke(simulate, [*args, "--out", str(out), "--truth", str(truth)])
    assert made.exit_code == 0, made.output
    files = sorted(str(p) for p in out.iterdir())
    # in two calls, as a user checking files batch by batch: the pseudonyms must still join
    half = len(files) // 2
    lines: list[str] = []
    for chunk in (files[:half], files[half:]):
        mapped = runner.invoke(validate, chunk)
        assert mapped.exit_code == 0, mapped.output
        lines += [line + "\n" for line in mapped.stdout.splitlines() if line.startswith("{")]
    wire = tmp_path / "wire.jsonl"
    wire.write_text("".join(lines))
    expected = _avvik(runner, truth)
    assert expected, "the region raised avvik"
    assert _avvik(runner, wire) == expected


def _pseudonyms(runner: CliRunner, message: Path) -> set[str]:
    result = runner.invoke(validate, [str(message)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {e["patient"]["pseudonym"] for e in events if e["patient"]}


def test_validate_outside_dev_uses_a_key_of_this_machine_never_the_public_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.connectors.hl7v2.hl7_samples import adt

    message = tmp_path / "a01.hl7"
    message.write_bytes(adt("A01"))
    runner = CliRunner()
    monkeypatch.setenv("HUB_INFRA__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HUB_ENV", "dev")
    public = _pseudonyms(runner, message)
    assert len(public) == 1

    monkeypatch.delenv("HUB_ENV")
    first = _pseudonyms(runner, message)
    key = tmp_path / "state" / "validate-pseudonym.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_text().strip()) == 64
    assert first, "outside dev, validate maps the message"
    assert first.isdisjoint(public), "outside dev the public development key must not be used"
    assert _pseudonyms(runner, message) == first, "the same key on every run of this machine"

    monkeypatch.setenv("HUB_PSEUDONYM__KEYS", '{"k1": "a-secret-of-the-operators-own-0123456789"}')
    monkeypatch.setenv("HUB_PSEUDONYM__ACTIVE_KEY_ID", "k1")
    configured = _pseudonyms(runner, message)
    assert configured, "with configured keys, validate maps the message"
    assert configured.isdisjoint(first | public), "configured keys win"
