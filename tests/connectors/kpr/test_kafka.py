"""The KPR endpoint against the real local broker: good extract → raw record, bad → dead letter."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.kpr.cli import kpr
from connectors.kpr.format import FORMAT
from connectors.kpr.server import PATH, build_app
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.kpr.extracts import PERSON_A, SAMPLE_CSV, csv_bytes, row
from tests.kafka_io import consume_values as _consume
from tests.kafka_io import raw_topic_settings

pytestmark = pytest.mark.kafka


@pytest.fixture
def broker_settings(infra: HubSettings, topic: str) -> HubSettings:
    """The broker's settings with this test's fresh topic as the raw topic and a fresh dead-letter topic."""
    return raw_topic_settings(infra, "raw_kpr", topic)


async def _post(settings: HubSettings, body: bytes) -> int:
    sink = KafkaSink.from_settings(settings)
    try:
        async with TestClient(TestServer(build_app(Ingestor(FORMAT, sink, settings)))) as client:
            response = await client.post(PATH, data=body, headers={"Content-Type": "text/csv"})
            return response.status
    finally:
        sink.close()


async def test_good_extract_reaches_the_raw_topic(broker_settings: HubSettings) -> None:
    """A valid CSV extract is acknowledged with 202 only after it is in the raw topic, redacted."""
    assert await _post(broker_settings, SAMPLE_CSV) == 202
    (value,) = _consume(broker_settings, broker_settings.topics.raw_kpr, 1)
    raw = codec_for(broker_settings, RawMessage, broker_settings.topics.raw_kpr).decode(value)
    assert raw.format == "kpr"
    assert PERSON_A.encode() not in raw.payload
    assert FORMAT.detect(raw.payload)


async def test_bad_extract_reaches_the_dead_letter_topic(broker_settings: HubSettings) -> None:
    """A CSV with a bad row gets 422 and a dead letter whose reason names the line."""
    assert await _post(broker_settings, csv_bytes(row("A"), row("B", code="99"))) == 422
    (value,) = _consume(broker_settings, broker_settings.topics.dlq, 1)
    dead = codec_for(broker_settings, DeadLetterRecord, broker_settings.topics.dlq).decode(value)
    assert dead.source == "kpr"
    assert dead.code == "validation"
    assert "line 3" in dead.reason


def test_cli_file_ingestion(
    broker_settings: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hub connector kpr --file` ingests a good extract; a bad one exits 1 naming the location."""
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(SAMPLE_CSV)
    bad.write_bytes(csv_bytes(row("A", start="2024-03-01T10:00")))
    monkeypatch.setenv("HUB_KAFKA__BOOTSTRAP_SERVERS", broker_settings.kafka.bootstrap_servers)
    monkeypatch.setenv("HUB_REGISTRY__URL", "")
    monkeypatch.setenv("HUB_TOPICS__RAW_KPR", broker_settings.topics.raw_kpr)
    monkeypatch.setenv("HUB_TOPICS__DLQ", broker_settings.topics.dlq)
    ok = CliRunner().invoke(kpr, ["--file", str(good)])
    assert ok.exit_code == 0
    assert "accepted" in ok.output
    assert "5 events" in ok.output
    rejected = CliRunner().invoke(kpr, ["--file", str(bad)])
    assert rejected.exit_code == 1
    assert "line 2, start" in rejected.output
    assert len(_consume(broker_settings, broker_settings.topics.raw_kpr, 1)) == 1
    assert len(_consume(broker_settings, broker_settings.topics.dlq, 1)) == 1
