"""The FHIR endpoint against the real local broker: 201 after the raw write, 422 + dead letter."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.fhir.format import FORMAT
from connectors.fhir.server import build_app
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings, RegistrySettings, TopicSettings
from tests.connectors.fhir.fhir_samples import FNR, dumps, encounter
from tests.kafka_io import consume_keyed as _consume

pytestmark = pytest.mark.kafka
FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture
def fhir_settings(infra: HubSettings, topic: str) -> HubSettings:
    """The broker's settings with fresh raw and dead-letter topics (single-object encoding, no registry)."""
    topics = TopicSettings(raw_fhir=f"{topic}.raw", dlq=f"{topic}.dlq")
    return infra.model_copy(update={"topics": topics, "registry": RegistrySettings(url=None)})


async def _post(settings: HubSettings, document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    sink = KafkaSink.from_settings(settings)
    try:
        async with TestClient(TestServer(build_app(Ingestor(FORMAT, sink, settings)))) as client:
            response = await client.post("/fhir/Encounter", data=dumps(document), headers=FHIR_JSON)
            return response.status, await response.json()
    finally:
        sink.close()


async def test_good_encounter_is_on_the_raw_topic_when_answered(fhir_settings: HubSettings) -> None:
    """A valid Encounter gets 201, and by then its redacted raw record is on the raw topic."""
    status, _ = await _post(fhir_settings, encounter())
    assert status == 201
    ((key, value),) = _consume(fhir_settings, fhir_settings.topics.raw_fhir, 1)
    raw = codec_for(fhir_settings, RawMessage, fhir_settings.topics.raw_fhir).decode(value)
    assert key == b"Encounter/enc-1/_history/1"
    assert FNR.encode() not in raw.payload


async def test_bad_encounter_gets_422_and_a_dead_letter(fhir_settings: HubSettings) -> None:
    """A finished Encounter without period.end gets 422 and a dead letter naming the element."""
    status, body = await _post(fhir_settings, encounter("finished"))
    assert status == 422
    assert body["issue"][0]["expression"] == ["Encounter.period.end"]
    ((_, value),) = _consume(fhir_settings, fhir_settings.topics.dlq, 1)
    dead = codec_for(fhir_settings, DeadLetterRecord, fhir_settings.topics.dlq).decode(value)
    assert (dead.source, dead.code) == ("fhir", "required")
    assert "period.end" in dead.reason
