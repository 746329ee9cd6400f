"""Fault tests on a real broker of their own (other ports and state dir), bounded, each stopping by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.mllp import frame
from connectors.hl7v2.server import MllpServer
from hub import infra as services
from hub.infra.services import KAFKA
from hub.kafka.topics import ensure_topics
from hub.settings import HubSettings, InfraSettings, RegistrySettings
from tests.agents.harness import free_port
from tests.connectors.hl7v2.hl7_samples import adt
from tests.connectors.hl7v2.test_hl7_server import Client
from tests.kafka_io import consume_keyed

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

DELIVERY_TIMEOUT_MS = 5_000


@pytest.fixture
def own_broker(tmp_path: Path, infra: HubSettings) -> Iterator[HubSettings]:
    """A broker only this test uses (the session's jar cache), stopped and deleted afterwards."""
    local = InfraSettings(
        state_dir=tmp_path / "state",
        cache_dir=infra.infra.cache_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        registry_port=free_port(),
        registry_management_port=free_port(),
    )
    services.up(local, registry=False)
    settings = HubSettings(infra=local, registry=RegistrySettings(url=None), data_dir=tmp_path / "data")
    settings = settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(update={"bootstrap_servers": f"127.0.0.1:{local.kafka_port}"})
        }
    )
    try:
        yield settings
    finally:
        services.down(local, purge=True, services=[KAFKA])


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
