"""Reading what a test wrote to a topic on the real broker (one helper for every Kafka test)."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from hub.settings import HubSettings, RegistrySettings, TopicSettings


def consume_keyed(
    settings: HubSettings, topic: str, count: int, timeout: float = 30.0
) -> list[tuple[bytes, bytes]]:
    """Up to ``count`` (key, value) records from the start of ``topic``, waiting at most ``timeout`` s."""
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"test-{uuid.uuid4()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            value = msg.value()
            if value is not None:
                records.append((msg.key() or b"", value))
    finally:
        consumer.close()
    return records


def consume_values(settings: HubSettings, topic: str, count: int, timeout: float = 30.0) -> list[bytes]:
    """Up to ``count`` record values from the start of ``topic``."""
    return [value for _key, value in consume_keyed(settings, topic, count, timeout)]


def raw_topic_settings(infra: HubSettings, raw_field: str, topic: str) -> HubSettings:
    """``infra``'s settings with ``topic`` as the raw topic ``raw_field`` (e.g. ``raw_kpr``), a fresh
    ``<topic>.dlq`` dead-letter topic, and single-object encoding (these tests are about the broker; the
    registry codec has its own tests)."""
    dlq = f"{topic}.dlq"
    admin = AdminClient(dict(infra.kafka.confluent_config()))
    for future in admin.create_topics([NewTopic(dlq, num_partitions=1, replication_factor=1)]).values():
        future.result(timeout=30)
    topics = TopicSettings(**{raw_field: topic, "dlq": dlq})
    return infra.model_copy(update={"registry": RegistrySettings(url=None), "topics": topics})
