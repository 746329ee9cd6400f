"""Consumer lag per partition as Prometheus gauges: how many records a consumer group has not committed yet.

``hub_consumer_lag_records{group, topic, partition}`` and ``hub_consumer_committed_offset`` /
``hub_topic_end_offset`` beside it, read from Kafka (committed offsets of the group without joining it, and
the partition watermarks) when Prometheus scrapes, at most every ``ttl_s``; a scrape never waits longer than
the probe's timeout, and a failed read exports ``hub_consumer_lag_up 0`` instead of stale figures. Label
values are consumer-group names, topic names and partition numbers: configuration, never identifiers.

Register it on the registry behind a ``/metrics`` endpoint: ``registry.register(ConsumerLagCollector(...))``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from confluent_kafka import Consumer, KafkaException, TopicPartition
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from hub.errors import InfraError
from hub.settings import HubSettings


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    """Where a group is on one partition: committed offset (-1: none) and the partition's watermarks."""

    topic: str
    partition: int
    committed: int
    low: int
    high: int

    @property
    def lag(self) -> int:
        """Records not yet committed (from the oldest retained record when the group committed none)."""
        start = self.committed if self.committed >= 0 else self.low
        return max(0, self.high - max(start, self.low))


class OffsetProbe(Protocol):
    """Reads a group's committed offsets and the watermarks of its topics."""

    def offsets(self, group: str, topics: Sequence[str]) -> list[PartitionOffsets]:
        """One entry per partition of ``topics``; :class:`InfraError` when Kafka does not answer."""
        ...


class KafkaOffsetProbe:
    """:class:`OffsetProbe` on the configured cluster."""

    def __init__(self, settings: HubSettings, *, timeout_s: float = 5.0) -> None:
        self._settings = settings
        self._timeout = timeout_s

    def offsets(self, group: str, topics: Sequence[str]) -> list[PartitionOffsets]:
        """Committed offsets of ``group`` (without joining it) and the watermarks of each partition."""
        conf = {**self._settings.kafka.confluent_config(), "group.id": group, "enable.auto.commit": False}
        consumer = Consumer(conf)
        found = []
        try:
            for topic in topics:
                meta = consumer.list_topics(topic, timeout=self._timeout).topics.get(topic)
                if meta is None or meta.error is not None:
                    continue
                parts = [TopicPartition(topic, p) for p in sorted(meta.partitions)]
                for tp in consumer.committed(parts, timeout=self._timeout):
                    low, high = consumer.get_watermark_offsets(tp, timeout=self._timeout)
                    found.append(PartitionOffsets(topic, tp.partition, tp.offset, low, high))
        except KafkaException as exc:
            raise InfraError(f"cannot read offsets of group {group}: {exc}") from exc
        finally:
            consumer.close()
        return found


class ConsumerLagCollector(Collector):
    """Prometheus collector of one group's lag per partition of ``topics``."""

    def __init__(
        self,
        probe: OffsetProbe,
        group: str,
        topics: Iterable[str],
        *,
        ttl_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._group = group
        self._topics = tuple(topics)
        self._ttl = ttl_s
        self._clock = clock
        self._cached: list[PartitionOffsets] | None = None
        self._read_at = float("-inf")

    def _offsets(self) -> list[PartitionOffsets] | None:
        now = self._clock()
        if now - self._read_at >= self._ttl:
            self._read_at = now
            try:
                self._cached = self._probe.offsets(self._group, self._topics)
            except InfraError:
                self._cached = None
        return self._cached

    def collect(self) -> Iterator[Metric]:
        """The gauges, read from Kafka at most every ``ttl_s``."""
        offsets = self._offsets()
        up = GaugeMetricFamily(
            "hub_consumer_lag_up", "1 when the lag could be read from Kafka", labels=["group"]
        )
        up.add_metric([self._group], 0.0 if offsets is None else 1.0)
        yield up
        labels = ["group", "topic", "partition"]
        lag = GaugeMetricFamily(
            "hub_consumer_lag_records", "Records the group has not committed", labels=labels
        )
        committed = GaugeMetricFamily(
            "hub_consumer_committed_offset",
            "Next offset the group will read (-1: none committed)",
            labels=labels,
        )
        end = GaugeMetricFamily("hub_topic_end_offset", "Offset of the next record written", labels=labels)
        for item in offsets or []:
            values = [self._group, item.topic, str(item.partition)]
            lag.add_metric(values, float(item.lag))
            committed.add_metric(values, float(item.committed))
            end.add_metric(values, float(item.high))
        yield lag
        yield committed
        yield end
