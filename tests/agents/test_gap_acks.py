"""The worker's consumer does not ack offsets it skipped on the hub's own topics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faust.types import TP

from agents.app import WorkerOptions
from agents.worker import build_worker
from hub.settings import HubSettings


async def test_gaps_on_the_hubs_topics_stay_unacked_and_other_topics_keep_fausts_behaviour(
    tmp_path: Path,
) -> None:
    worker = build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(app_id="gap-probe", live=False))
    consumer: Any = worker.app.consumer
    events = TP(worker.settings.topics.events, 0)
    raw = TP(worker.settings.topics.raw_plo, 0)
    assert worker.settings.topics.events in worker.app.strict_topics
    await consumer._add_gap(events, 188, 230)
    await consumer._add_gap(raw, 188, 230)
    assert not consumer._gap[events]  # would let a commit pass 188-230 before they were processed
    assert consumer._gap[raw].overlaps(188, 231)  # transaction markers on raw topics are still skipped
