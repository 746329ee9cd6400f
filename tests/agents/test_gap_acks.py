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


async def test_a_refused_gap_below_the_guards_start_makes_the_agent_seek_back_to_it(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The restarted-worker stall, through faust's own consumer: faust read partition 0 from its commit base
    and jumped to 268 (gap 166-267, refused), while the committed offset the guard started at said 229. The
    agent must seek back to where faust's commit waits, not to 229 (166-228 would never be acked)."""
    from types import SimpleNamespace

    worker = build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(app_id="stall-probe", live=False))
    consumer: Any = worker.app.consumer
    driver = worker.driver
    assert driver is not None
    events = TP(worker.settings.topics.events, 0)
    sought: list[int] = []

    async def seek(tp: Any, offset: int) -> None:
        sought.append(offset)

    monkeypatch.setattr(consumer, "seek", seek)
    consumer._committed_offset[events] = 229
    await consumer._add_gap(events, 166, 268)  # what faust's fetch loop calls before delivering 268
    message = SimpleNamespace(tp=events, topic=events.topic, partition=0, offset=268)
    stream: Any = SimpleNamespace()
    try:
        assert not await driver._in_order(stream, SimpleNamespace(message=message))  # type: ignore[arg-type]
        assert sought == [165]
        assert driver.guard.expected(events) == 165
    finally:
        driver.reset()


async def test_a_guard_started_before_fausts_seek_to_the_committed_offsets_seeks_back_to_them(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """faust resumes the partitions before its seek to the committed offsets: the first records (229, 230)
    can come from a fetch under way while faust's consumer has no committed offset for the partition yet.
    Once it has one (166), the agent seeks back there at the next record instead of going on from 231."""
    from types import SimpleNamespace

    worker = build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(app_id="stale-probe", live=False))
    consumer: Any = worker.app.consumer
    driver = worker.driver
    assert driver is not None
    events = TP(worker.settings.topics.events, 0)
    sought: list[int] = []

    async def seek(tp: Any, offset: int) -> None:
        sought.append(offset)

    def record(offset: int) -> Any:
        message = SimpleNamespace(tp=events, topic=events.topic, partition=0, offset=offset)
        return SimpleNamespace(message=message)

    monkeypatch.setattr(consumer, "seek", seek)
    stream: Any = SimpleNamespace()
    try:
        assert await driver._in_order(stream, record(229))
        consumer._committed_offset[events] = 166  # faust's perform_seek
        assert not await driver._in_order(stream, record(230))
        assert sought == [166]
    finally:
        driver.reset()
