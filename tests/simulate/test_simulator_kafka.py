"""The simulator through the real connectors into the local broker: every acknowledged message is there."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import cimpl
from confluent_kafka.admin import AdminClient

from connectors.common.sink import KafkaSink
from hub.events.transport import RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings, RegistrySettings, TopicSettings
from hub.simulate import SimOptions, run_simulation
from hub.simulate.message import Protocol
from tests.kafka_io import consume_values as _consume
from tests.simulate.servers import connectors

pytestmark = pytest.mark.kafka


@pytest.fixture
def broker_settings(infra: HubSettings) -> HubSettings:
    """The session broker with fresh raw and dead-letter topics for this test (no registry)."""
    prefix = f"test.simulate.{uuid.uuid4().hex[:8]}"
    names = {name: f"{prefix}.{name}" for name in ("raw_hl7v2", "raw_plo", "raw_ambulance", "raw_kpr", "dlq")}
    admin = AdminClient(dict(infra.kafka.confluent_config()))
    new = [cimpl.NewTopic(n, num_partitions=1, replication_factor=1) for n in names.values()]
    for future in admin.create_topics(new).values():
        future.result(timeout=30)
    return infra.model_copy(update={"topics": TopicSettings(**names), "registry": RegistrySettings(url=None)})


async def test_acknowledged_messages_are_on_the_raw_topics(broker_settings: HubSettings) -> None:
    """Two simulated days sent through the connectors land, redacted, on each raw topic in Kafka."""
    sink = KafkaSink.from_settings(broker_settings)
    options = SimOptions(
        seed=11,
        speed=1e7,
        start=datetime(2024, 5, 1, tzinfo=UTC),
        duration=timedelta(days=2),
        events_per_day=150.0,
    )
    try:
        async with connectors(broker_settings, sink) as live:
            stats = await run_simulation(live, options)
    finally:
        sink.close()
    topics = {
        Protocol.HL7: broker_settings.topics.raw_hl7v2,
        Protocol.PLO: broker_settings.topics.raw_plo,
        Protocol.AMBULANCE: broker_settings.topics.raw_ambulance,
        Protocol.KPR: broker_settings.topics.raw_kpr,
    }
    for protocol, topic in topics.items():
        counters = stats.per_protocol[protocol]
        assert counters.sent > 0
        assert counters.acked == counters.sent
        values = _consume(broker_settings, topic, counters.acked)
        assert len(values) == counters.acked
        raw = codec_for(broker_settings, RawMessage, topic).decode(values[0])
        assert raw.format in {"hl7v2", "plo", "ambulance", "kpr"}
