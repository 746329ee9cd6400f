"""Read the compacted ``samhandling.avvik`` topic from the beginning to its current end: latest per key."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, KafkaException, TopicPartition

from hub.errors import ConfigError, InfraError
from hub.events.outputs import AvvikRecord
from hub.serde import codec_for
from hub.settings import HubSettings

__all__ = ["read_avvik_topic"]


def _assignment(
    consumer: Consumer, settings: HubSettings, timeout: float
) -> tuple[list[TopicPartition], dict[int, int]]:
    """Partitions to read from their low watermark, and the offset each must reach (its high watermark)."""
    topic = settings.topics.avvik
    try:
        metadata = consumer.list_topics(topic, timeout=min(timeout, 15.0))
    except KafkaException as exc:
        raise InfraError(f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}") from exc
    info = metadata.topics.get(topic)
    if info is None or info.error is not None or not info.partitions:
        raise ConfigError(f"topic {topic!r} not found at {settings.kafka.bootstrap_servers}")
    ends: dict[int, int] = {}
    assignment = []
    for partition in sorted(info.partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        if high > low:
            ends[partition] = high
            assignment.append(TopicPartition(topic, partition, low))
    return assignment, ends


def read_avvik_topic(settings: HubSettings, *, timeout: float = 60.0) -> list[AvvikRecord]:
    """The latest record of every avvik id on the avvik topic (tombstones remove a key).

    Reads each partition from its low to its high watermark as they were when the read started, with a
    throw-away consumer group that commits nothing.
    """
    topic = settings.topics.avvik
    codec = codec_for(settings, AvvikRecord, topic)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"hub-report-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        assignment, ends = _assignment(consumer, settings, timeout)
        latest: dict[str, AvvikRecord] = {}
        if not assignment:
            return []
        consumer.assign(assignment)
        deadline = time.monotonic() + timeout
        while ends:
            if time.monotonic() > deadline:
                raise InfraError(f"reading {topic!r} did not reach the end within {timeout:.0f} s")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise InfraError(f"reading {topic!r}: {msg.error()}")
            key = (msg.key() or b"").decode()
            value = msg.value()
            if value:
                latest[key] = codec.decode(value)
            else:
                latest.pop(key, None)
            partition, offset = msg.partition(), msg.offset()
            if partition in ends and offset is not None and offset + 1 >= ends[partition]:
                del ends[partition]
        return list(latest.values())
    finally:
        consumer.close()
