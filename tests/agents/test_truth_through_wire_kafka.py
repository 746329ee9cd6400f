"""Truth through the wire on the real broker: simulator → connectors → Kafka → worker equals the truth."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from connectors.common.sink import KafkaSink
from hub.domain.timeutil import to_epoch
from hub.events import EventType
from hub.events.outputs import AvvikRecord
from hub.identity import Pseudonymiser
from hub.masterdata import load_masterdata
from hub.settings import HubSettings
from hub.simulate import SimOptions, run_simulation
from hub.simulate.differential import outcome, render_region
from tests.agents.harness import WorkerProcess, private_settings, produce_events, read_latest, wait_caught_up
from tests.agents.scenario import ev
from tests.simulate.servers import connectors

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
START = datetime(2024, 5, 1, tzinfo=UTC)


async def test_region_through_connectors_and_worker_equals_the_truth(
    infra: HubSettings, tmp_path: Path
) -> None:
    """Three days of a region at deviation share 0.4: the avvik topic holds exactly the truth's avvik."""
    # Three days are sent in a second and the normaliser reads the four raw topics in parallel, so events
    # reach the core days of event time apart; a lateness wider than the run keeps every one on time (live,
    # the 15-minute default covers the skew of real-time arrival).
    settings = private_settings(infra, tmp_path).model_copy(update={"allowed_lateness_s": 10 * 86_400.0})
    options = SimOptions(
        seed=3, speed=1e7, start=START, duration=timedelta(days=3), deviation_share=0.4, events_per_day=150.0
    )
    md = load_masterdata()
    region = render_region(options, md, START, Pseudonymiser.from_settings(settings.pseudonym))
    watermark = max(e.occurred_at for e in region.truth) + timedelta(days=3)
    truth = outcome(region.truth, md, until=watermark, names=region.names)
    stays = set(region.names.stays.values())
    expected = sorted((k[0], k[1], k[2], k[4], k[5], k[6]) for k in truth.avvik.elements())
    assert expected, "the region raised avvik"

    # the worker judges up to its watermark minus its lateness: the same instant as the truth's clock
    live_mark = watermark + timedelta(seconds=settings.allowed_lateness_s) - timedelta(minutes=15)
    worker = WorkerProcess(settings, "wire", tmp_path / "worker.log")
    sink = KafkaSink.from_settings(settings)
    try:
        worker.wait_ready()
        async with connectors(settings, sink) as live:
            stats = await run_simulation(live, options, masterdata=md)
        assert not any(c.failed or c.rejected for c in stats.per_protocol.values()), stats.summary()
        # every message through the normaliser (and joined rejections back) before event time jumps ahead
        topics = settings.topics
        inputs = [topics.raw_hl7v2, topics.raw_plo, topics.raw_ambulance, topics.raw_kpr, topics.events]
        wait_caught_up(settings, worker.app_id, inputs)
        capacity = {"unit_id": "HNT-LEV-MED", "unit_kind": "WARD", "beds": 28, "valid_from": date(2024, 1, 1)}
        for partition in range(settings.topics.partitions):
            mark = ev(
                EventType.BED_CAPACITY_SET,
                None,
                live_mark,
                capacity,
                unit="HNT-LEV-MED",
                msg=f"wm{partition}",
            )
            produce_events(settings, [mark], partition=partition)
        records = read_latest(settings, settings.topics.avvik, AvvikRecord, expect=len(expected), timeout=180)
        async with httpx.AsyncClient() as client:
            scrape = (await client.get(f"http://127.0.0.1:{worker.port}/metrics", timeout=10)).text
    finally:
        sink.close()
        worker.stop()
    got = sorted(
        (
            r.code,
            r.status.value,
            to_epoch(r.detected_at),
            to_epoch(r.resolved_at) if r.resolved_at else None,
            r.patient_pseudonym,
            r.episode_id if r.episode_id in stays else None,
        )
        for r in records.values()
        if r is not None
    )
    events_lag = (
        f'hub_consumer_lag_records{{group="{worker.app_id}",partition="0",topic="{settings.topics.events}"}}'
    )
    assert f"{events_lag} 0.0" in scrape, "the worker's /metrics shows its lag per partition"
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert got == expected, (
        f"{len(missing)} missing, e.g. {missing[:5]}; {len(extra)} extra, e.g. {extra[:5]}"
    )
