"""The worker's consumer does not ack offsets it skipped on the hub's own topics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from faust.types import TP

from agents.app import WorkerOptions
from agents.driver import Driver
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


@dataclass
class _Probe:
    """A built worker's consumer and driver, with the consumer's seeks recorded instead of sent."""

    consumer: Any
    driver: Driver
    events: TP
    sought: list[int]

    def record(self, offset: int) -> Any:
        """A faust event of the events topic's partition 0 at ``offset``."""
        message = SimpleNamespace(tp=self.events, topic=self.events.topic, partition=0, offset=offset)
        return SimpleNamespace(message=message)

    async def in_order(self, offset: int) -> bool:
        """The driver's verdict on the record at ``offset``: True to process it now."""
        return await self.driver._in_order(cast(Any, SimpleNamespace()), self.record(offset))


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Probe]:
    worker = build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(app_id="guard-probe", live=False))
    consumer: Any = worker.app.consumer
    assert worker.driver is not None
    sought: list[int] = []

    async def seek(tp: Any, offset: int) -> None:
        sought.append(offset)

    monkeypatch.setattr(consumer, "seek", seek)
    made = _Probe(consumer, worker.driver, TP(worker.settings.topics.events, 0), sought)
    try:
        yield made
    finally:
        worker.driver.reset()


async def test_a_refused_gap_below_the_guards_start_makes_the_agent_seek_back_to_it(probe: _Probe) -> None:
    """The restarted-worker stall, through faust's own consumer: faust read partition 0 from its commit base
    and jumped to 268 (gap 166-267, refused), while the committed offset the guard started at said 229. The
    agent must seek back to where faust's commit waits, not to 229 (166-228 would never be acked)."""
    probe.consumer._committed_offset[probe.events] = 229
    await probe.consumer._add_gap(probe.events, 166, 268)  # what faust's fetch loop calls before 268
    assert not await probe.in_order(268)
    assert probe.sought == [165]
    assert probe.driver.guard.expected(probe.events) == 165


async def test_a_guard_started_before_fausts_seek_to_the_committed_offsets_seeks_back_to_them(
    probe: _Probe,
) -> None:
    """faust resumes the partitions before its seek to the committed offsets: the first records (229, 230)
    can come from a fetch under way while faust's consumer has no committed offset for the partition yet.
    Once it has one (166), the agent seeks back there at the next record instead of going on from 231."""
    assert await probe.in_order(229)
    probe.consumer._committed_offset[probe.events] = 166  # faust's perform_seek
    assert not await probe.in_order(230)
    assert probe.sought == [166]
