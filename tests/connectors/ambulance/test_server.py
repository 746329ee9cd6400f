"""The ambulance HTTP endpoint over real HTTP, writing to a MemorySink."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from connectors.ambulance.format import FORMAT
from connectors.ambulance.server import PATH, build_app
from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.ambulance.messages import PATIENT, mission, payload


@pytest.fixture
def sink() -> MemorySink:
    """An in-memory record sink."""
    return MemorySink()


@pytest.fixture
async def client(
    sink: MemorySink, settings: HubSettings
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """An HTTP client talking to the endpoint on a real local port."""
    app = build_app(Ingestor(FORMAT, sink, settings))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def _raw(sink: MemorySink, settings: HubSettings) -> list[RawMessage]:
    codec = codec_for(settings, RawMessage, settings.topics.raw_ambulance)
    return [codec.decode(v) for _, v in sink.on(settings.topics.raw_ambulance)]


def _dlq(sink: MemorySink, settings: HubSettings) -> list[DeadLetterRecord]:
    codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    return [codec.decode(v) for _, v in sink.on(settings.topics.dlq)]


async def test_one_event_is_accepted(
    client: TestClient[web.Request, web.Application], sink: MemorySink, settings: HubSettings
) -> None:
    """A single valid object gets 202 and one redacted raw record."""
    response = await client.post(PATH, data=payload(), headers={"Content-Type": "application/json"})
    assert response.status == 202
    body = await response.json()
    assert body["results"] == [
        {"index": 0, "message_id": "AMK1-M42-CALL_RECEIVED", "status": "accepted", "events": 1}
    ]
    (raw,) = _raw(sink, settings)
    assert raw.format == "ambulance"
    assert PATIENT.encode() not in raw.payload


async def test_batch_with_a_bad_event_lists_its_errors(
    client: TestClient[web.Request, web.Application], sink: MemorySink, settings: HubSettings
) -> None:
    """An array with one bad object gets 422, per-message results and the pydantic error locations."""
    batch = [
        mission("CALL_RECEIVED"),
        mission("DISPATCHED", hastegrad="blå", occurred_at="2024-03-01T14:05"),
        mission("ON_SCENE"),
    ]
    response = await client.post(PATH, json=batch)
    assert response.status == 422
    body = await response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "rejected", "accepted"]
    locations = {e["loc"] for e in body["results"][1]["errors"]}
    assert locations == {"hastegrad", "occurred_at"}
    assert len(_raw(sink, settings)) == 2
    (dead,) = _dlq(sink, settings)
    assert dead.source == "ambulance"
    assert "hastegrad" in dead.reason


async def test_resent_batch_is_acknowledged_as_duplicates(
    client: TestClient[web.Request, web.Application],
) -> None:
    """Sending the same array twice answers 202 both times; the second time as duplicates."""
    batch = [mission("CALL_RECEIVED"), mission("DISPATCHED")]
    assert (await client.post(PATH, json=batch)).status == 202
    again = await client.post(PATH, json=batch)
    assert again.status == 202
    assert [r["status"] for r in (await again.json())["results"]] == ["duplicate", "duplicate"]


@pytest.mark.parametrize("body", [b"not json", b"[]", b"42", b'"x"'])
async def test_body_that_is_not_an_object_or_array_is_400(
    body: bytes, client: TestClient[web.Request, web.Application], sink: MemorySink, settings: HubSettings
) -> None:
    """A body that is not JSON, or not an object / non-empty array, gets 400 and is dead-lettered."""
    response = await client.post(PATH, data=body)
    assert response.status == 400
    assert (await response.json())["code"] == "parse"
    assert len(_dlq(sink, settings)) == 1


async def test_kafka_failure_is_503(
    client: TestClient[web.Request, web.Application], sink: MemorySink
) -> None:
    """When Kafka does not confirm the write the sender gets 503 with Retry-After, never 202."""
    sink.fail_with = "broker down"
    response = await client.post(PATH, data=payload())
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"


async def test_identity_error_names_patient_id(client: TestClient[web.Request, web.Application]) -> None:
    """A person number with bad check digits is rejected at patient_id without echoing the number."""
    response = await client.post(PATH, json=mission(patient_id="01010112345"))
    assert response.status == 422
    result = (await response.json())["results"][0]
    assert result["code"] == "identity"
    assert result["errors"][0]["loc"] == "patient_id"
    assert "01010112345" not in json.dumps(result)


async def test_healthz(client: TestClient[web.Request, web.Application]) -> None:
    """GET /healthz answers ok."""
    response = await client.get("/healthz")
    assert (await response.json())["status"] == "ok"
