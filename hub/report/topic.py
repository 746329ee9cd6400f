"""Read a topic from the beginning to its current end: every record, or (avvik) the latest per key."""

from __future__ import annotations

import time
import uuid
from typing import TypeVar

from confluent_kafka import Consumer, KafkaException, TopicPartition
from pydantic import BaseModel

from hub.errors import ConfigError, InfraError
from hub.events.outputs import AvvikRecord
from hub.serde import codec_for
from hub.settings import HubSettings

__all__ = ["read_avvik_topic", "read_topic"]

M = TypeVar("M", bound=BaseModel)


def _assignment(
    consumer: Consumer, settings: HubSettings, topic: str, timeout: float
) -> tuple[list[TopicPartition], dict[int, int]]:
    """Partitions to read from their low watermark, and the offset each must reach (its high watermark)."""
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


def read_topic(
    settings: HubSettings, topic: str, model: type[M], *, timeout: float = 60.0
) -> list[tuple[str, M | None]]:
    """Every (key, record) of ``topic`` from its start to its end as it was when the read started (a
    tombstone gives None), in offset order per partition, with a throw-away group that commits nothing."""
    codec = codec_for(settings, model, topic)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"hub-report-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        assignment, ends = _assignment(consumer, settings, topic, timeout)
        records: list[tuple[str, M | None]] = []
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
            value = msg.value()
            records.append(((msg.key() or b"").decode(), codec.decode(value) if value else None))
            partition, offset = msg.partition(), msg.offset()
            if partition in ends and offset is not None and offset + 1 >= ends[partition]:
                del ends[partition]
        return records
    finally:
        consumer.close()


def read_avvik_topic(settings: HubSettings, *, timeout: float = 60.0) -> list[AvvikRecord]:
    """The latest record of every avvik id on the avvik topic (tombstones remove a key)."""
    latest: dict[str, AvvikRecord] = {}
    for key, record in read_topic(settings, settings.topics.avvik, AvvikRecord, timeout=timeout):
        if record is None:
            latest.pop(key, None)
        else:
            latest[key] = record
    return list(latest.values())
