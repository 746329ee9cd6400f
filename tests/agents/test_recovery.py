"""Crash recovery and scale-out: outputs equal those of an uninterrupted single worker, compared by key."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.events import Event
from hub.events.outputs import AvvikRecord, PathwayStateRecord
from hub.masterdata import load_masterdata
from hub.settings import HubSettings
from hub.synth.generator import SynthConfig, generate
from tests.agents.harness import WorkerProcess, private_settings, produce_events, read_latest
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


def _outputs(
    settings: HubSettings, expect_avvik: int, expect_states: int
) -> tuple[dict[str, object], dict[str, object]]:
    avvik = read_latest(
        settings, settings.topics.avvik, AvvikRecord, expect=expect_avvik, timeout=180, quiet=5
    )
    states = read_latest(
        settings,
        settings.topics.pathway_state,
        PathwayStateRecord,
        expect=expect_states,
        timeout=180,
        quiet=5,
    )
    return dict(avvik), dict(states)


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
        avvik, states = _outputs(settings, 1, 1)
    finally:
        worker.stop()
    assert len(avvik) > 50, "the synthetic input should raise avvik"
    assert len(states) > 100
    return avvik, states


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


@pytest.mark.xfail(
    strict=False,
    reason="known bug, open in issue 4: after a SIGKILL some avvik/pathway records can differ from an "
    "uninterrupted run (passed 4 of 5 runs here; failed in a fresh-clone CI run)",
)
def test_sigkill_mid_stream_then_restart_gives_the_same_outputs(
    infra: HubSettings, tmp_path: Path, reference: tuple[dict[str, object], dict[str, object]]
) -> None:
    """A worker SIGKILLed mid-stream and restarted ends with the same avvik and states, nothing missing."""
    ref_avvik, ref_states = reference
    settings = private_settings(infra, tmp_path)
    _load(settings, _events())
    first = WorkerProcess(settings, "crashy", tmp_path / "worker1.log")
    first.wait_ready()
    _wait_for_some_output(settings, minimum=len(ref_states) // 4)
    first.kill()
    second = WorkerProcess(settings, "crashy", tmp_path / "worker2.log")
    try:
        second.wait_ready()
        avvik, states = _outputs(settings, len(ref_avvik), len(ref_states))
    finally:
        second.stop()
    assert avvik.keys() == ref_avvik.keys()
    assert avvik == ref_avvik
    assert states == ref_states


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
            port=settings.web.worker_port + 1 if settings.web.worker_port < 65000 else 6999,
        )
        second.wait_ready(timeout=120)
        produce_events(settings, events[half:])
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)
        avvik, states = _outputs(settings, len(ref_avvik), len(ref_states))
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert avvik == ref_avvik
    assert states == ref_states
