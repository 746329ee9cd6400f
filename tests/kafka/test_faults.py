"""Fault tests on a real broker of their own (other ports and state dir), bounded, each stopping by itself."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.mllp import frame
from connectors.hl7v2.server import MllpServer
from hub import infra as services
from hub.infra import process
from hub.infra import registry as registry_service
from hub.infra.services import KAFKA, REGISTRY
from hub.kafka.topics import ensure_topics
from hub.settings import HubSettings, InfraSettings, RegistrySettings
from tests.agents import test_recovery as recovery
from tests.agents.harness import WorkerProcess, free_port, private_settings
from tests.connectors.hl7v2.hl7_samples import adt
from tests.connectors.hl7v2.test_hl7_server import Client
from tests.kafka_io import consume_keyed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

DELIVERY_TIMEOUT_MS = 5_000


@contextlib.contextmanager
def _own_services(tmp_path: Path, cache_dir: Path, *, registry: bool) -> Iterator[HubSettings]:
    """A broker (and registry) only this test uses, on free ports; stopped and deleted afterwards."""
    local = InfraSettings(
        state_dir=tmp_path / "state",
        cache_dir=cache_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        registry_port=free_port(),
        registry_management_port=free_port(),
    )
    started = services.up(local, registry=registry)
    url = registry_service.url(local) if registry else None
    settings = HubSettings(infra=local, registry=RegistrySettings(url=url), data_dir=tmp_path / "data")
    kafka = settings.kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{local.kafka_port}"})
    try:
        yield settings.model_copy(update={"kafka": kafka})
    finally:
        services.down(
            local, purge=True, services=[s for s in services.ALL if s.name in {r.name for r in started}]
        )


@pytest.fixture
def own_broker(tmp_path: Path, infra: HubSettings) -> Iterator[HubSettings]:
    """A broker only this test uses (the session's jar cache)."""
    with _own_services(tmp_path, infra.infra.cache_dir, registry=False) as settings:
        yield settings


@pytest.fixture
def own_broker_and_registry(tmp_path: Path, infra: HubSettings) -> Iterator[HubSettings]:
    """A broker and a schema registry only this test uses."""
    with _own_services(tmp_path, infra.infra.cache_dir, registry=True) as settings:
        yield settings


async def _send(port: int, payload: bytes, wait: float) -> str:
    """MSA-1 of the answer to one framed message."""
    client = await Client.connect(port)
    try:
        await client.send_raw(frame(payload))
        ack = await client.ack(wait=wait)
        return str(ack.segment("MSA")[1])
    finally:
        await client.close()


async def test_a_connector_answers_negatively_while_kafka_is_down_and_loses_nothing(
    own_broker: HubSettings,
) -> None:
    """(c) With the broker stopped the MLLP connector answers AE, never AA; once the broker is back the
    sender's retry gets AA, and both messages are on the raw topic."""
    settings = own_broker
    ensure_topics(settings)
    sink = KafkaSink(settings.kafka.confluent_config(), delivery_timeout_ms=DELIVERY_TIMEOUT_MS)
    server = MllpServer(Ingestor(FORMAT, sink, settings), host="127.0.0.1", port=0)
    await server.start()
    try:
        assert await _send(server.bound_port, adt(control_id="UP-1"), wait=30) == "AA"
        await asyncio.to_thread(services.down, settings.infra, services=[KAFKA])
        down = await _send(server.bound_port, adt(control_id="DOWN-1"), wait=DELIVERY_TIMEOUT_MS / 1000 + 30)
        assert down in {"AE", "AR"}, f"answered {down} while Kafka was down"
        await asyncio.to_thread(services.up, settings.infra, registry=False)
        deadline = time.monotonic() + 60
        retried = down
        while retried != "AA" and time.monotonic() < deadline:  # an HL7 sender resends after a negative ACK
            retried = await _send(server.bound_port, adt(control_id="DOWN-1"), wait=30)
        assert retried == "AA"
    finally:
        await server.close()
        sink.close()
    keys = {key for key, _ in consume_keyed(settings, settings.topics.raw_hl7v2, 3, timeout=30)}
    assert {b"UP-1", b"DOWN-1"} <= keys


def _kill_broker(infra: InfraSettings) -> None:
    """SIGKILL the broker (no clean shutdown) and wait until it is gone."""
    pid = process.PidFile(KAFKA.pid_path(infra)).read()
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while process.is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)


def _reference(services_settings: HubSettings, tmp: Path, *, registry: bool) -> recovery.Outputs:
    """Outputs of an uninterrupted worker over the recovery test's input, on these services."""
    tmp.mkdir(parents=True, exist_ok=True)
    reference = private_settings(services_settings, tmp, registry=registry)
    recovery._load(reference, recovery._events())
    worker = WorkerProcess(reference, "reference", tmp / "reference.log")
    try:
        worker.wait_ready()
        outputs = recovery._outputs(reference, worker)
    finally:
        worker.stop()
    assert sum(1 for key in outputs[1] if key.startswith("beds:")) > 3
    return outputs


def _faulted(
    services_settings: HubSettings, tmp: Path, fault: Callable[[HubSettings], None], *, registry: bool
) -> tuple[recovery.Outputs, int]:
    """Outputs of a worker that meets ``fault`` a third of the way through, restarted (like a supervisor
    would, five times at most) whenever it stops; and how many runs it took."""
    tmp.mkdir(parents=True, exist_ok=True)
    settings = private_settings(services_settings, tmp, registry=registry)
    kafka = settings.kafka.model_copy(update={"session_timeout_s": recovery.SESSION_TIMEOUT_S})
    settings = settings.model_copy(update={"kafka": kafka})
    recovery._load(settings, recovery._events())
    runs = 1
    worker = WorkerProcess(settings, "faulty", tmp / "worker1.log")
    try:
        worker.wait_ready(timeout=120)
        recovery._wait_for_some_output(settings, minimum=100)
        fault(settings)
        while True:
            if worker.proc.poll() is not None and runs < 6:
                worker.stop()  # gone already: closes its log
                runs += 1
                worker = WorkerProcess(settings, "faulty", tmp / f"worker{runs}.log")
            try:
                worker.wait_ready(timeout=120)
                return recovery._outputs(settings, worker), runs
            except RuntimeError:  # it stopped while starting (the fault still on): start it again
                if runs >= 6:
                    raise
    finally:
        worker.stop()


def _assert_same(reference: recovery.Outputs, got: recovery.Outputs, runs: int) -> None:
    problems = recovery._differences("avvik", reference[0], got[0]) + recovery._differences(
        "state", reference[1], got[1]
    )
    assert not problems, f"worker runs: {runs}\n" + "\n".join(problems)


@pytest.mark.timeout(600)
def test_broker_sigkilled_mid_stream_and_restarted_gives_the_same_outputs(
    own_broker: HubSettings, tmp_path: Path
) -> None:
    """(a) The broker SIGKILLed while a worker is mid-stream and restarted 5 s later: the worker ends with
    avvik, states and bed counts equal by key to an uninterrupted run on the same broker."""
    reference = _reference(own_broker, tmp_path / "ref", registry=False)

    def kill_and_restart(settings: HubSettings) -> None:
        _kill_broker(settings.infra)
        time.sleep(5)
        services.up(settings.infra, registry=False)

    got, runs = _faulted(own_broker, tmp_path / "fault", kill_and_restart, registry=False)
    _assert_same(reference, got, runs)


@pytest.mark.timeout(600)
def test_registry_down_for_30_s_mid_stream_gives_the_same_outputs(
    own_broker_and_registry: HubSettings, tmp_path: Path
) -> None:
    """(b) The schema registry stopped for 30 s while a worker is mid-stream (Avro wire format): the
    worker ends with avvik, states and bed counts equal by key to an uninterrupted run."""
    reference = _reference(own_broker_and_registry, tmp_path / "ref", registry=True)

    def registry_away(settings: HubSettings) -> None:
        services.down(settings.infra, services=[REGISTRY])
        time.sleep(30)
        services.up(settings.infra, registry=True)

    got, runs = _faulted(own_broker_and_registry, tmp_path / "fault", registry_away, registry=True)
    _assert_same(reference, got, runs)
