"""The batch replay driver writes exactly what the live worker writes, compared by key on the same events."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.batch_replay import run_batch_replay
from hub.settings import HubSettings
from tests.agents import test_recovery as recovery
from tests.agents.harness import WorkerProcess, private_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(420)]


def test_the_batch_replay_writes_what_the_live_worker_writes(infra: HubSettings, tmp_path: Path) -> None:
    events = recovery._events()
    worker_settings = private_settings(infra, tmp_path / "worker")
    recovery._load(worker_settings, events)
    worker = WorkerProcess(worker_settings, "live", tmp_path / "worker.log")
    try:
        worker.wait_ready()
        want = recovery._outputs(worker_settings, worker)
    finally:
        worker.stop()

    batch_settings = private_settings(infra, tmp_path / "batch")
    recovery._load(batch_settings, events)
    total = len(events) + batch_settings.topics.partitions  # and one watermark event per partition
    app_id = f"{batch_settings.topics.events.split('.', 1)[0]}-batch"
    run_batch_replay(
        batch_settings, app_id, total, processes=2, log_file=tmp_path / "batch.log", timeout_s=240
    )
    got = recovery.read_outputs(batch_settings)

    assert len(want[0]) > 50, "the input should raise avvik"
    assert sum(1 for key in want[1] if key.startswith("beds:")) > 3, "the input should occupy beds"
    problems = recovery._differences("avvik", want[0], got[0]) + recovery._differences(
        "state", want[1], got[1]
    )
    assert not problems, "\n".join(problems)
