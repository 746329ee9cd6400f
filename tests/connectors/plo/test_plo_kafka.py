"""The PLO endpoint against the real local broker: raw record before the 200, bad message -> dead letter,
size limits of producer and topics agree, a record a topic refuses -> permanent Avvist."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic  # type: ignore[attr-defined]

from connectors.common.ingest import Ingestor
from connectors.common.sink import PRODUCER_MAX_MESSAGE_BYTES, KafkaSink
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


def _max_message_bytes(settings: HubSettings, topic: str) -> int:
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    return int(configs["max.message.bytes"].value)


def test_topics_accept_what_the_producer_sends(broker_settings: HubSettings) -> None:
    """The broker's raw and dead-letter topics accept records as large as the producer may send."""
    for topic in (broker_settings.topics.raw_plo, broker_settings.topics.dlq):
        assert _max_message_bytes(broker_settings, topic) >= PRODUCER_MAX_MESSAGE_BYTES


async def test_topic_refusing_a_large_record_gives_a_permanent_avvist(infra: HubSettings, topic: str) -> None:
    """A raw topic with a smaller max.message.bytes than the record: the broker refuses it, and the sender
    gets a permanent Avvist (not 503) while the message lands on the dead-letter topic."""
    small = f"{topic}.small"
    admin = AdminClient(dict(infra.kafka.confluent_config()))
    new = NewTopic(small, num_partitions=1, replication_factor=1, config={"max.message.bytes": "20000"})
    for future in admin.create_topics([new]).values():
        future.result(timeout=30)
    settings = raw_topic_settings(infra, "raw_plo", small)
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(
        b"Pasienten ble innlagt", b"Pasienten ble innlagt " + b"lang tekst " * 4_000, 1
    )
    status, _, _ = await _post(settings, payload)
    assert status == 413
    (value,) = _consume(settings, settings.topics.dlq, 1)
    dead = codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(value)
    assert dead.code == "too_large"
    assert _consume(settings, small, 1, timeout=3) == []
