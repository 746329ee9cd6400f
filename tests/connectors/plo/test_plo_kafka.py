"""The PLO endpoint against the real local broker: raw record before the 200, bad message -> dead letter."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, build_app
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.plo.conftest import SAMPLE_NUMBERS, sample
from tests.kafka_io import consume_values as _consume
from tests.kafka_io import raw_topic_settings

pytestmark = pytest.mark.kafka


class _TimedSink:
    """Wraps the Kafka sink and notes when each write was acknowledged."""

    def __init__(self, inner: KafkaSink) -> None:
        self.inner = inner
        self.acked_at: list[float] = []

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        await self.inner.send(topic, key, value)
        self.acked_at.append(time.monotonic())


@pytest.fixture
def broker_settings(infra: HubSettings, topic: str) -> HubSettings:
    """The broker's settings with this test's fresh topic as the raw topic and a fresh dead-letter topic."""
    return raw_topic_settings(infra, "raw_plo", topic)


async def _post(settings: HubSettings, body: bytes) -> tuple[int, float, list[float]]:
    sink = _TimedSink(KafkaSink.from_settings(settings))
    try:
        app = build_app(Ingestor(FORMAT, sink, settings))
        async with TestClient(TestServer(app)) as client:
            response = await client.post(PATH, data=body)
            await response.read()
            return response.status, time.monotonic(), sink.acked_at
    finally:
        sink.inner.close()


async def test_raw_record_is_in_kafka_before_the_ok_answer(broker_settings: HubSettings) -> None:
    """The broker acknowledged the redacted raw record before the 200 AppRec answer was sent."""
    status, answered_at, acked = await _post(
        broker_settings, sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml")
    )
    assert status == 200
    assert len(acked) == 1
    assert acked[0] <= answered_at
    (value,) = _consume(broker_settings, broker_settings.topics.raw_plo, 1)
    raw = codec_for(broker_settings, RawMessage, broker_settings.topics.raw_plo).decode(value)
    assert raw.message_id == "b088a160-0698-11e8-b566-0800200c9a66"
    assert all(number.encode() not in raw.payload for number in SAMPLE_NUMBERS)


async def test_bad_message_reaches_the_dead_letter_topic(broker_settings: HubSettings) -> None:
    """A schema-invalid message is answered 422 and lands on the dead-letter topic with its reason."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(
        b"<Anslag>false</Anslag>", b"<Anslag>x</Anslag>"
    )
    status, _, _ = await _post(broker_settings, payload)
    assert status == 422
    (value,) = _consume(broker_settings, broker_settings.topics.dlq, 1)
    dead = codec_for(broker_settings, DeadLetterRecord, broker_settings.topics.dlq).decode(value)
    assert dead.source == "plo"
    assert dead.code == "schema"
    assert "Anslag" in dead.reason
