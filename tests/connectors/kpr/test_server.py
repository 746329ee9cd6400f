"""The KPR HTTP endpoint over real HTTP, writing to a MemorySink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.kpr.format import FORMAT
from connectors.kpr.server import PATH, build_app
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.kpr.extracts import IPLOS_SAMPLE, PERSON_A, SAMPLE_CSV, csv_bytes, row

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def sink() -> MemorySink:
    """An in-memory record sink."""
    return MemorySink()


@pytest.fixture
async def client(sink: MemorySink, settings: HubSettings) -> AsyncIterator[Client]:
    """An HTTP client talking to the endpoint on a real local port."""
    async with TestClient(TestServer(build_app(Ingestor(FORMAT, sink, settings)))) as test_client:
        yield test_client


def _raw(sink: MemorySink, settings: HubSettings) -> list[RawMessage]:
    codec = codec_for(settings, RawMessage, settings.topics.raw_kpr)
    return [codec.decode(v) for _, v in sink.on(settings.topics.raw_kpr)]


def _dlq(sink: MemorySink, settings: HubSettings) -> list[DeadLetterRecord]:
    codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    return [codec.decode(v) for _, v in sink.on(settings.topics.dlq)]


async def test_csv_extract_is_accepted(client: Client, sink: MemorySink, settings: HubSettings) -> None:
    """A valid CSV gets 202 with its event count; the raw record holds tokens, not person numbers."""
    response = await client.post(PATH, data=SAMPLE_CSV, headers={"Content-Type": "text/csv"})
    assert response.status == 202
    body = await response.json()
    assert (body["status"], body["events"]) == ("accepted", 5)
    (raw,) = _raw(sink, settings)
    assert raw.format == "kpr"
    assert PERSON_A.encode() not in raw.payload


async def test_iplos_extract_is_accepted(client: Client, sink: MemorySink, settings: HubSettings) -> None:
    """A valid IPLOS extract gets 202 and is written once; the same extract again is a duplicate."""
    first = await client.post(PATH, data=IPLOS_SAMPLE, headers={"Content-Type": "application/xml"})
    assert first.status == 202
    assert (await first.json())["message_id"] == "IPLOS-5038-GERICA-2024-Q1-001"
    again = await client.post(PATH, data=IPLOS_SAMPLE, headers={"Content-Type": "application/xml"})
    assert (await again.json())["status"] == "duplicate"
    assert len(_raw(sink, settings)) == 1


async def test_bad_record_is_422_with_location(
    client: Client, sink: MemorySink, settings: HubSettings
) -> None:
    """A CSV with one bad row gets 422 naming the line; the whole file is dead-lettered."""
    payload = csv_bytes(row("A"), row("B", code="99"))
    response = await client.post(PATH, data=payload, headers={"Content-Type": "text/csv"})
    assert response.status == 422
    body = await response.json()
    assert (body["code"], body["location"]) == ("validation", "line 3, tjenestetype")
    (dead,) = _dlq(sink, settings)
    assert "line 3" in dead.reason
    assert _raw(sink, settings) == []


async def test_broken_xml_is_400(client: Client, sink: MemorySink, settings: HubSettings) -> None:
    """Not well-formed XML gets 400 and a dead letter."""
    response = await client.post(PATH, data=b"<IPLOS", headers={"Content-Type": "application/xml"})
    assert response.status == 400
    assert len(_dlq(sink, settings)) == 1


async def test_other_content_type_is_415(client: Client, sink: MemorySink) -> None:
    """A content type other than XML or CSV is refused before reading."""
    response = await client.post(PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status == 415
    assert sink.records == []


async def test_kafka_failure_is_503(client: Client, sink: MemorySink) -> None:
    """When Kafka does not confirm the write the sender gets 503, never 202."""
    sink.fail_with = "broker down"
    response = await client.post(PATH, data=SAMPLE_CSV, headers={"Content-Type": "text/csv"})
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
