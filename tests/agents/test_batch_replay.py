"""The batch replay driver writes exactly what the live worker writes, compared by key on the same events."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.batch_replay import run_batch_replay
from hub.events.outputs import AvvikRecord, BedMetricsRecord, MetricPeriod, PathwayStateRecord
from hub.settings import HubSettings
from tests.agents import test_recovery as recovery
from tests.agents.harness import WorkerProcess, private_settings, read_latest

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(420)]


def _read(settings: HubSettings) -> recovery.Outputs:
    avvik = read_latest(settings, settings.topics.avvik, AvvikRecord, timeout=60, quiet=3)
    states: dict[str, object] = dict(
        read_latest(settings, settings.topics.pathway_state, PathwayStateRecord, timeout=60, quiet=3)
    )
    live: dict[str, BedMetricsRecord] = {}
    for rec in read_latest(
        settings, settings.topics.beds_metrics, BedMetricsRecord, timeout=60, quiet=3
    ).values():
        if rec is not None and rec.period is MetricPeriod.LIVE:
            newest = live.get(rec.scope_id)
            if newest is None or rec.period_start > newest.period_start:
                live[rec.scope_id] = rec
    states.update({f"beds:{unit}": (rec.period_start, rec.occupied) for unit, rec in live.items()})
    return dict(avvik), states


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
    got = _read(batch_settings)

    assert len(want[0]) > 50, "the input should raise avvik"
    assert sum(1 for key in want[1] if key.startswith("beds:")) > 3, "the input should occupy beds"
    problems = recovery._differences("avvik", want[0], got[0]) + recovery._differences(
        "state", want[1], got[1]
    )
    assert not problems, "\n".join(problems)
