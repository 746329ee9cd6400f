"""The ambulance endpoint against the real local broker: good → raw record, bad → dead letter with reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from connectors.ambulance.cli import ambulance
from connectors.ambulance.format import FORMAT
from connectors.ambulance.server import PATH, build_app
from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.ambulance.messages import PATIENT, payload
from tests.kafka_io import consume_values as _consume
from tests.kafka_io import raw_topic_settings

pytestmark = pytest.mark.kafka


@pytest.fixture
def broker_settings(infra: HubSettings, topic: str) -> HubSettings:
    """The broker's settings with this test's fresh topic as the raw topic and a fresh dead-letter topic."""
    return raw_topic_settings(infra, "raw_ambulance", topic)


async def _post(settings: HubSettings, body: bytes) -> int:
    sink = KafkaSink.from_settings(settings)
    try:
        app = build_app(Ingestor(FORMAT, sink, settings))
        async with TestClient(TestServer(app)) as client:
            response = await client.post(PATH, data=body)
            return response.status
    finally:
        sink.close()


async def test_good_event_reaches_the_raw_topic(broker_settings: HubSettings) -> None:
    """A valid mission event is acknowledged with 202 only after it is in the raw topic, redacted."""
    assert await _post(broker_settings, payload()) == 202
    (value,) = _consume(broker_settings, broker_settings.topics.raw_ambulance, 1)
    raw = codec_for(broker_settings, RawMessage, broker_settings.topics.raw_ambulance).decode(value)
    assert raw.message_id == "AMK1-M42-CALL_RECEIVED"
    assert PATIENT.encode() not in raw.payload


async def test_bad_event_reaches_the_dead_letter_topic(broker_settings: HubSettings) -> None:
    """An invalid mission event gets 422 and a dead letter naming the broken field."""
    assert await _post(broker_settings, payload(status="EN_ROUTE")) == 422
    (value,) = _consume(broker_settings, broker_settings.topics.dlq, 1)
    dead = codec_for(broker_settings, DeadLetterRecord, broker_settings.topics.dlq).decode(value)
    assert dead.source == "ambulance"
    assert dead.code == "validation"
    assert "status" in dead.reason


def test_cli_file_ingestion(
    broker_settings: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub connector ambulance --file` writes good lines to the raw topic, reports the bad line, exits 1."""
    path = tmp_path / "missions.jsonl"
    path.write_bytes(payload("CALL_RECEIVED") + b"\nnot json\n" + payload("DISPATCHED") + b"\n")
    monkeypatch.setenv("HUB_KAFKA__BOOTSTRAP_SERVERS", broker_settings.kafka.bootstrap_servers)
    monkeypatch.setenv("HUB_REGISTRY__URL", "")
    monkeypatch.setenv("HUB_TOPICS__RAW_AMBULANCE", broker_settings.topics.raw_ambulance)
    monkeypatch.setenv("HUB_TOPICS__DLQ", broker_settings.topics.dlq)
    result = CliRunner().invoke(ambulance, ["--file", str(path)])
    assert result.exit_code == 1
    assert "2 accepted, 1 rejected" in result.output
    assert "line 2: [parse]" in result.output
    assert len(_consume(broker_settings, broker_settings.topics.raw_ambulance, 2)) == 2
    assert len(_consume(broker_settings, broker_settings.topics.dlq, 1)) == 1
