"""Crash recovery and scale-out: outputs equal those of an uninterrupted single worker, compared by key:
avvik, pathway states and each unit's current bed count (0 lost, 0 counted twice)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.events import Event
from hub.events.outputs import AvvikRecord, BedMetricsRecord, MetricPeriod, PathwayStateRecord
from hub.masterdata import load_masterdata
from hub.settings import HubSettings
from hub.synth.generator import SynthConfig, generate
from tests.agents.harness import (
    WorkerProcess,
    private_settings,
    produce_events,
    read_to_end,
    wait_caught_up,
)
from tests.agents.scenario import watermark_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

N_EVENTS = 1500


def _events() -> list[Event]:
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=datetime(2024, 5, 1, tzinfo=UTC),
        span_days=2,
        deviation_share=0.3,
        seed=11,
    )
    return list(generate(load_masterdata(), config, N_EVENTS))


def _load(settings: HubSettings, events: list[Event]) -> None:
    produce_events(settings, events)
    for partition, event in watermark_events(settings.topics.partitions):
        produce_events(settings, [event], partition=partition)


Outputs = tuple[dict[str, object], dict[str, object]]


def _outputs(settings: HubSettings, worker: WorkerProcess) -> Outputs:
    """The latest avvik and state per key, and (under the key ``beds:<unit>``, with the states) each unit's
    newest LIVE bed count, once ``worker`` has committed all of the events and internal beds topics."""
    wait_caught_up(settings, worker.app_id, [settings.topics.events, f"{worker.app_id}.internal.beds"])
    return read_outputs(settings)


def read_outputs(settings: HubSettings) -> Outputs:
    """The latest avvik and state per key on ``settings``' topics, and each unit's newest LIVE bed count
    (every partition read to its end: call it once the outputs are complete)."""
    avvik = read_to_end(settings, settings.topics.avvik, AvvikRecord)
    states: dict[str, object] = dict(read_to_end(settings, settings.topics.pathway_state, PathwayStateRecord))
    live: dict[str, BedMetricsRecord] = {}
    for rec in read_to_end(settings, settings.topics.beds_metrics, BedMetricsRecord).values():
        if rec is not None and rec.period is MetricPeriod.LIVE:
            newest = live.get(rec.scope_id)
            if newest is None or rec.period_start > newest.period_start:
                live[rec.scope_id] = rec
    states.update({f"beds:{unit}": (rec.period_start, rec.occupied) for unit, rec in live.items()})
    return dict(avvik), states


@pytest.fixture(scope="module")
def reference(
    infra: HubSettings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, object], dict[str, object]]:
    """Outputs of one uninterrupted worker over the synthetic input."""
    tmp = tmp_path_factory.mktemp("reference")
    settings = private_settings(infra, tmp)
    _load(settings, _events())
    worker = WorkerProcess(settings, "reference", tmp / "worker.log")
    try:
        worker.wait_ready()
        avvik, states = _outputs(settings, worker)
    finally:
        worker.stop()
    assert len(avvik) > 50, "the synthetic input should raise avvik"
    assert len(states) > 100
    assert sum(1 for key in states if key.startswith("beds:")) > 3, "the input should occupy beds"
    return avvik, states


def _differences(name: str, ref: dict[str, object], got: dict[str, object], show: int = 3) -> list[str]:
    """Readable differences between two keyed outputs (missing, extra and changed keys, a few shown)."""
    missing = sorted(ref.keys() - got.keys())
    extra = sorted(got.keys() - ref.keys())
    changed = sorted(k for k in ref.keys() & got.keys() if ref[k] != got[k])
    lines = []
    if missing:
        lines.append(f"{name}: {len(missing)} missing, e.g. {missing[:show]}")
    if extra:
        lines.append(f"{name}: {len(extra)} extra, e.g. {extra[:show]}")
    for key in changed[:show]:
        lines.append(f"{name} {key} differs:\n  uninterrupted: {ref[key]!r}\n  restarted:     {got[key]!r}")
    if len(changed) > show:
        lines.append(f"{name}: {len(changed)} keys differ in all")
    return lines


def _wait_for_some_output(settings: HubSettings, minimum: int, timeout: float = 90) -> None:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**settings.kafka.confluent_config(), "group.id": "progress-probe"})
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            total = 0
            for p in range(settings.topics.partitions):
                _, high = consumer.get_watermark_offsets(TopicPartition(settings.topics.pathway_state, p), 5)
                total += high
            if total >= minimum:
                return
            time.sleep(0.1)
    finally:
        consumer.close()
    raise TimeoutError("the worker produced no output")


KILLS = 3
SESSION_TIMEOUT_S = 8.0  # a killed worker's partitions come back after this, not faust's default minute


def test_sigkill_mid_stream_then_restart_gives_the_same_outputs(
    infra: HubSettings, tmp_path: Path, reference: tuple[dict[str, object], dict[str, object]]
) -> None:
    """A worker SIGKILLed three times mid-stream and restarted each time ends with the same avvik and
    states as an uninterrupted run, nothing missing."""
    ref_avvik, ref_states = reference
    settings = private_settings(infra, tmp_path)
    settings = settings.model_copy(
        update={"kafka": settings.kafka.model_copy(update={"session_timeout_s": SESSION_TIMEOUT_S})}
    )
    _load(settings, _events())
    for n in range(1, KILLS + 1):
        crashing = WorkerProcess(settings, "crashy", tmp_path / f"worker{n}.log")
        crashing.wait_ready(timeout=120)
        _wait_for_some_output(settings, minimum=len(ref_states) * n // (KILLS + 1))
        crashing.kill()
    last = WorkerProcess(settings, "crashy", tmp_path / "worker-last.log")
    try:
        last.wait_ready(timeout=120)
        avvik, states = _outputs(settings, last)
    finally:
        last.stop()
    problems = _differences("avvik", ref_avvik, avvik) + _differences("state", ref_states, states)
    assert not problems, "\n".join(problems)


def test_second_worker_joining_keeps_outputs_correct(
    infra: HubSettings, tmp_path: Path, reference: tuple[dict[str, object], dict[str, object]]
) -> None:
    """A second worker joining the group mid-stream takes over partitions; the outputs stay the same."""
    ref_avvik, ref_states = reference
    settings = private_settings(infra, tmp_path)
    events = _events()
    half = len(events) // 2
    produce_events(settings, events[:half])
    first = WorkerProcess(settings, "scaled", tmp_path / "worker1.log", data_dir=tmp_path / "d1")
    second: WorkerProcess | None = None
    try:
        first.wait_ready()
        _wait_for_some_output(settings, minimum=10)
        second = WorkerProcess(
            settings,
            "scaled",
            tmp_path / "worker2.log",
            data_dir=tmp_path / "d2",
            port=settings.web.worker_port + 1,  # private_settings keeps it free (free_port(2))
        )
        second.wait_ready(timeout=120)
        produce_events(settings, events[half:])
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)
        avvik, states = _outputs(settings, first)
    finally:
        first.stop()
        if second is not None:
            second.stop()
    problems = _differences("avvik", ref_avvik, avvik) + _differences("state", ref_states, states)
    assert not problems, "\n".join(problems)


def test_a_worker_on_an_empty_disk_fills_its_tables_in_bulk_and_gives_the_same_outputs(
    infra: HubSettings, tmp_path: Path, reference: tuple[dict[str, object], dict[str, object]]
) -> None:
    """A worker is lost with its disk halfway; a new one starts on an empty data dir, fills its tables
    straight from the changelogs (``agents.bulk_restore``; any partition behind counts here), then gets the
    rest of the input: the outputs equal an uninterrupted run's."""
    ref_avvik, ref_states = reference
    settings = private_settings(infra, tmp_path)
    events = _events()
    half = len(events) // 2
    produce_events(settings, events[:half])
    lost = WorkerProcess(settings, "lost-disk", tmp_path / "worker1.log", data_dir=tmp_path / "d1")
    try:
        lost.wait_ready()
        wait_caught_up(settings, lost.app_id, [settings.topics.events])
    finally:
        lost.stop()
    fresh = WorkerProcess(
        settings, "lost-disk", tmp_path / "worker2.log", data_dir=tmp_path / "d2", bulk_restore_min_records=1
    )
    try:
        fresh.wait_ready(timeout=120)
        produce_events(settings, events[half:])
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)
        avvik, states = _outputs(settings, fresh)
    finally:
        fresh.stop()
    log = (tmp_path / "worker2.log").read_text()
    filled = [line for line in log.splitlines() if "worker.bulk_restored" in line]
    assert filled, f"the fresh worker did not fill its tables in bulk; log: {tmp_path / 'worker2.log'}"
    assert "records=0" not in filled[0]
    problems = _differences("avvik", ref_avvik, avvik) + _differences("state", ref_states, states)
    assert not problems, "\n".join(problems)
