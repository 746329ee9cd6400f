"""Read a topic from a point in time to its current end, without joining or committing a consumer group.

Operator tools (``hub dlq``, ``hub messages``) look at what is on a topic now: they assign every partition,
start at the first offset at or after ``since`` (or the beginning) and stop at the high watermark seen at the
start, so a busy topic cannot keep them reading for ever.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from hub.errors import InfraError
from hub.settings import HubSettings


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One record as it is on the topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def link(self) -> str:
        """``topic:partition:offset``: where the record is, e.g. ``samhandling.dlq:0:17``."""
        return f"{self.topic}:{self.partition}:{self.offset}"


class RecordSource(Protocol):
    """Where operator tools read records (Kafka in production; a list in unit tests)."""

    def read(self, topic: str, *, since: datetime | None = None) -> Iterator[StoredRecord]:
        """Every record of ``topic`` from ``since`` (None: the beginning) to the end as of now."""
        ...


class KafkaRecordSource:
    """:class:`RecordSource` on the configured cluster."""

    def __init__(self, settings: HubSettings, *, timeout_s: float = 30.0) -> None:
        self._settings = settings
        self._timeout = timeout_s

    def read(self, topic: str, *, since: datetime | None = None) -> Iterator[StoredRecord]:
        """Every record of ``topic`` from ``since`` to the high watermark seen now."""
        consumer = Consumer(
            {
                **self._settings.kafka.confluent_config(),
                "group.id": f"hub-ops-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
            }
        )
        try:
            yield from self._read(consumer, topic, since)
        except KafkaException as exc:
            raise InfraError(f"cannot read {topic}: {exc}") from exc
        finally:
            consumer.close()

    def _read(self, consumer: Consumer, topic: str, since: datetime | None) -> Iterator[StoredRecord]:
        meta = consumer.list_topics(topic, timeout=self._timeout).topics.get(topic)
        if meta is None or meta.error is not None:
            return
        partitions = sorted(meta.partitions)
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), self._timeout)[1] for p in partitions
        }
        if since is not None:
            wanted = [TopicPartition(topic, p, int(since.timestamp() * 1000)) for p in partitions]
            starts = {tp.partition: tp.offset for tp in consumer.offsets_for_times(wanted, self._timeout)}
        else:
            starts = dict.fromkeys(partitions, OFFSET_BEGINNING)
        assign = [
            TopicPartition(topic, p, starts[p])
            for p in partitions
            if ends[p] > 0 and starts[p] != -1  # -1: nothing at or after ``since``
        ]
        if not assign:
            return
        consumer.assign(assign)
        remaining = {tp.partition for tp in assign}
        deadline = time.monotonic() + self._timeout
        while remaining and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:  # compacted or transactional topics can end on an offset that is never delivered
                positions = consumer.position([TopicPartition(topic, p) for p in remaining])
                remaining -= {tp.partition for tp in positions if tp.offset >= ends[tp.partition]}
                continue
            if msg.error() is not None:
                raise InfraError(f"cannot read {topic}: {msg.error()}")
            partition, offset = msg.partition(), msg.offset()
            if partition is None or offset is None or partition not in remaining:
                continue
            if offset >= ends[partition] - 1:
                remaining.discard(partition)
            if offset >= ends[partition]:
                continue
            deadline = time.monotonic() + self._timeout
            yield StoredRecord(
                topic=topic,
                partition=partition,
                offset=offset,
                timestamp_ms=msg.timestamp()[1],
                key=msg.key(),
                value=msg.value(),
                headers=_headers(msg.headers()),
            )
        if remaining:
            raise InfraError(
                f"reading {topic}: partitions {sorted(remaining)} did not reach their end in time"
            )


def _headers(raw: object) -> tuple[tuple[str, bytes], ...]:
    if not isinstance(raw, list):
        return ()
    found = []
    for item in raw:
        if isinstance(item, tuple) and len(item) == 2:
            name, value = item
            data = value.encode() if isinstance(value, str) else value
            found.append((str(name), data if isinstance(data, bytes) else b""))
    return tuple(found)
