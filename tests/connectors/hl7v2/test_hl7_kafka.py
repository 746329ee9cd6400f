"""The MLLP listener against the real local broker: AA after the raw record is in Kafka, AR + dead letter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.formats import MappingContext
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.mllp import frame
from connectors.hl7v2.server import MllpServer
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.serde import codec_for
from hub.settings import HubSettings, RegistrySettings, TopicSettings
from tests.connectors.hl7v2.hl7_samples import FNR, adt
from tests.connectors.hl7v2.test_hl7_server import Client
from tests.kafka_io import consume_keyed as _consume

pytestmark = pytest.mark.kafka


@pytest.fixture
def hl7_settings(infra: HubSettings, topic: str) -> HubSettings:
    """The broker's settings with fresh raw and dead-letter topics (single-object encoding, no registry)."""
    topics = TopicSettings(raw_hl7v2=f"{topic}.raw", dlq=f"{topic}.dlq")
    return infra.model_copy(update={"topics": topics, "registry": RegistrySettings(url=None)})


async def _exchange(settings: HubSettings, payload: bytes) -> tuple[str, str]:
    sink = KafkaSink.from_settings(settings)
    server = MllpServer(Ingestor(FORMAT, sink, settings), host="127.0.0.1", port=0)
    await server.start()
    try:
        client = await Client.connect(server.bound_port)
        await client.send_raw(frame(payload))
        ack = await client.ack(wait=30)
        await client.close()
        return str(ack.segment("MSA")[1]), str(ack.segment("ERR")[3]) if "\rERR" in str(ack) else ""
    finally:
        await server.close()
        sink.close()


async def test_good_message_is_on_the_raw_topic_when_acked(hl7_settings: HubSettings) -> None:
    """An A01 gets AA, and by then its redacted raw record is on the raw topic under its MSH-10."""
    code, _ = await _exchange(hl7_settings, adt(control_id="KAFKA-1"))
    assert code == "AA"
    ((key, value),) = _consume(hl7_settings, hl7_settings.topics.raw_hl7v2, 1)
    raw = codec_for(hl7_settings, RawMessage, hl7_settings.topics.raw_hl7v2).decode(value)
    assert key == b"KAFKA-1"
    assert FNR.encode() not in raw.payload
    assert len(FORMAT.to_events(raw.payload, _ctx(hl7_settings))) == 1


async def test_bad_message_gets_ar_and_a_dead_letter_with_reason(hl7_settings: HubSettings) -> None:
    """An A01 without PV1-19 gets AR (ERR 101) and a dead letter naming PV1-19 on the DLQ topic."""
    code, err = await _exchange(hl7_settings, adt(control_id="KAFKA-BAD", pv1_19=""))
    assert (code, err.split("^")[0]) == ("AR", "101")
    ((_, value),) = _consume(hl7_settings, hl7_settings.topics.dlq, 1)
    dead = codec_for(hl7_settings, DeadLetterRecord, hl7_settings.topics.dlq).decode(value)
    assert dead.source == "hl7v2"
    assert "PV1-19" in dead.reason


def _ctx(settings: HubSettings) -> MappingContext:
    return MappingContext(Pseudonymiser.from_settings(settings.pseudonym), datetime.now(UTC))
