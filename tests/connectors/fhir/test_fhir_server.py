"""The FHIR endpoint over HTTP with the real Ingestor and an in-memory sink."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.fhir.format import FORMAT
from connectors.fhir.server import build_app
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.fhir.fhir_samples import FNR, bundle, dumps, encounter

FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def sink() -> MemorySink:
    """A fresh in-memory sink."""
    return MemorySink()


@pytest.fixture
async def client(settings: HubSettings, sink: MemorySink) -> AsyncIterator[TestClient[Any, Any]]:
    """A test client for the FHIR app writing to ``sink``."""
    async with TestClient(TestServer(build_app(Ingestor(FORMAT, sink, settings), max_body=200_000))) as c:
        yield c


def _outcome(body: dict[str, Any]) -> dict[str, Any]:
    OperationOutcome.model_validate(body)
    issue: dict[str, Any] = body["issue"][0]
    return issue


async def test_encounter_is_created_after_the_raw_write(
    client: TestClient[Any, Any], sink: MemorySink, settings: HubSettings
) -> None:
    """POST /fhir/Encounter answers 201 with fhir+json, and the redacted raw record is in the sink."""
    response = await client.post("/fhir/Encounter", data=dumps(encounter()), headers=FHIR_JSON)
    assert response.status == 201
    assert response.content_type == "application/fhir+json"
    assert _outcome(await response.json())["severity"] == "information"
    ((key, value),) = sink.on(settings.topics.raw_fhir)
    raw = codec_for(settings, RawMessage, settings.topics.raw_fhir).decode(value)
    assert key == b"Encounter/enc-1/_history/1"
    assert raw.content_type == "application/fhir+json"
    assert FNR.encode() not in raw.payload


async def test_transaction_bundle_gets_a_transaction_response(client: TestClient[Any, Any]) -> None:
    """POST /fhir with a transaction Bundle answers 200 with a transaction-response, 201 per entry."""
    response = await client.post("/fhir", data=dumps(bundle(encounters=2)), headers=FHIR_JSON)
    assert response.status == 200
    body = await response.json()
    Bundle.model_validate(body)
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 3


async def test_message_bundle_is_accepted(client: TestClient[Any, Any]) -> None:
    """POST /fhir with a message Bundle answers 202 with an informational OperationOutcome."""
    response = await client.post("/fhir", data=dumps(bundle("message")), headers=FHIR_JSON)
    assert response.status == 202
    assert "msg-1" in _outcome(await response.json())["diagnostics"]


async def test_invalid_encounter_gets_422_naming_the_element_and_a_dead_letter(
    client: TestClient[Any, Any], sink: MemorySink, settings: HubSettings
) -> None:
    """A finished Encounter without period.end gets 422 with expression and a dead letter with the reason."""
    response = await client.post("/fhir/Encounter", data=dumps(encounter("finished")), headers=FHIR_JSON)
    assert response.status == 422
    issue = _outcome(await response.json())
    assert (issue["severity"], issue["code"]) == ("error", "required")
    assert issue["expression"] == ["Encounter.period.end"]
    ((_, value),) = sink.on(settings.topics.dlq)
    dead = codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(value)
    assert dead.source == "fhir"
    assert "period.end" in dead.reason


async def test_not_json_gets_400_structure(client: TestClient[Any, Any]) -> None:
    """A body that is not JSON gets 400 with issue code structure."""
    response = await client.post("/fhir/Encounter", data=b"{not json", headers=FHIR_JSON)
    assert response.status == 400
    assert _outcome(await response.json())["code"] == "structure"


async def test_wrong_resource_for_endpoint_gets_400(client: TestClient[Any, Any], sink: MemorySink) -> None:
    """A Bundle posted to /fhir/Encounter (or an Encounter to /fhir) is a 400 and is not dead-lettered."""
    first = await client.post("/fhir/Encounter", data=dumps(bundle()), headers=FHIR_JSON)
    second = await client.post("/fhir", data=dumps(encounter()), headers=FHIR_JSON)
    assert (first.status, second.status) == (400, 400)
    assert _outcome(await first.json())["expression"] == ["resourceType"]
    assert sink.records == []


async def test_wrong_content_type_gets_415(client: TestClient[Any, Any]) -> None:
    """A text/plain body gets 415 with an OperationOutcome."""
    response = await client.post("/fhir/Encounter", data=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status == 415
    assert _outcome(await response.json())["code"] == "not-supported"


async def test_too_large_body_gets_413(client: TestClient[Any, Any]) -> None:
    """A body above the limit gets 413 with an OperationOutcome."""
    response = await client.post("/fhir/Encounter", data=b" " * 300_000, headers=FHIR_JSON)
    assert response.status == 413
    assert _outcome(await response.json())["code"] == "too-costly"


async def test_failing_sink_gets_503_not_201(settings: HubSettings) -> None:
    """When Kafka does not confirm, the answer is 503 (transient) with Retry-After, never 201."""
    app = build_app(Ingestor(FORMAT, MemorySink(fail_with="broker down"), settings))
    async with TestClient(TestServer(app)) as failing:
        response = await failing.post("/fhir/Encounter", data=dumps(encounter()), headers=FHIR_JSON)
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert _outcome(await response.json())["code"] == "transient"


async def test_response_waits_for_the_sink(settings: HubSettings) -> None:
    """No 201 is sent while the raw write is pending; it comes once the sink confirms."""

    class Gated(MemorySink):
        gate: asyncio.Event

        async def send(self, topic: str, key: bytes, value: bytes) -> None:
            await self.gate.wait()
            await super().send(topic, key, value)

    gated = Gated()
    gated.gate = asyncio.Event()
    async with TestClient(TestServer(build_app(Ingestor(FORMAT, gated, settings)))) as c:
        pending = asyncio.ensure_future(c.post("/fhir/Encounter", data=dumps(encounter()), headers=FHIR_JSON))
        await asyncio.sleep(0.3)
        assert not pending.done()
        gated.gate.set()
        response = await pending
        assert response.status == 201
        assert len(gated.records) == 1


async def test_unknown_route_is_404(client: TestClient[Any, Any]) -> None:
    """Only the two POST routes exist."""
    response = await client.post("/fhir/Patient", data=json.dumps({}).encode(), headers=FHIR_JSON)
    assert response.status == 404
