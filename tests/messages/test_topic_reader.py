"""Reading a topic to its current end from a point in time, on the real broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Producer

from hub.ops.topic_reader import KafkaRecordSource
from hub.settings import HubSettings

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_reads_from_since_to_the_end_on_every_partition(infra: HubSettings, topic: str) -> None:
    """Records at or after ``since`` on each partition, with links and headers; nothing past the end."""
    producer = Producer(infra.kafka.ordered_producer_config())
    for i in range(6):
        at = T0 + timedelta(minutes=i)
        producer.produce(
            topic,
            key=f"k{i}".encode(),
            value=f"v{i}".encode(),
            partition=i % 3,
            timestamp=int(at.timestamp() * 1000),
            headers=[("traceparent", b"x")],
        )
    assert producer.flush(30) == 0
    source = KafkaRecordSource(infra, timeout_s=10)
    everything = list(source.read(topic))
    assert sorted(r.value for r in everything if r.value) == [f"v{i}".encode() for i in range(6)]
    assert {r.link for r in everything} == {f"{topic}:{p}:{o}" for p in range(3) for o in range(2)}
    assert everything[0].headers == (("traceparent", b"x"),)
    later = list(source.read(topic, since=T0 + timedelta(minutes=3)))
    assert sorted(r.value for r in later if r.value) == [b"v3", b"v4", b"v5"]
    assert list(source.read(topic, since=T0 + timedelta(days=1))) == []
    assert list(source.read(f"{topic}.does-not-exist")) == []
