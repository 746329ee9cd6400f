"""Consumer lag per partition on /metrics: committed offsets against the end of each partition."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from prometheus_client import CollectorRegistry, generate_latest

from hub.errors import InfraError
from hub.ops.lag import ConsumerLagCollector, KafkaOffsetProbe, PartitionOffsets
from hub.settings import HubSettings


class FakeProbe:
    """Offsets from a list; ``fail`` makes it behave like an unreachable broker."""

    def __init__(self, offsets: list[PartitionOffsets]) -> None:
        self.offsets_ = offsets
        self.calls = 0
        self.fail = False

    def offsets(self, group: str, topics: object) -> list[PartitionOffsets]:
        """The configured offsets."""
        self.calls += 1
        if self.fail:
            raise InfraError("broker down")
        return self.offsets_


def test_lag_counts_from_the_committed_offset_or_the_oldest_record() -> None:
    """Lag is end − committed; with nothing committed it is what the partition still holds."""
    assert PartitionOffsets("t", 0, committed=7, low=0, high=10).lag == 3
    assert PartitionOffsets("t", 0, committed=-1, low=4, high=10).lag == 6
    assert PartitionOffsets("t", 0, committed=2, low=5, high=10).lag == 5  # committed before retention ran
    assert PartitionOffsets("t", 0, committed=10, low=0, high=10).lag == 0


def test_collector_exports_per_partition_and_caches() -> None:
    """Gauges per (group, topic, partition), read at most once per ttl; a failed read: up 0, no figures."""
    now = [0.0]
    probe = FakeProbe([PartitionOffsets("ev", 0, 5, 0, 9), PartitionOffsets("ev", 1, -1, 0, 2)])
    registry = CollectorRegistry()
    registry.register(ConsumerLagCollector(probe, "worker", ["ev"], ttl_s=10, clock=lambda: now[0]))
    labels = {"group": "worker", "topic": "ev"}
    assert registry.get_sample_value("hub_consumer_lag_records", {**labels, "partition": "0"}) == 4
    assert registry.get_sample_value("hub_consumer_lag_records", {**labels, "partition": "1"}) == 2
    assert registry.get_sample_value("hub_consumer_committed_offset", {**labels, "partition": "1"}) == -1
    assert registry.get_sample_value("hub_consumer_lag_up", {"group": "worker"}) == 1
    calls = probe.calls
    generate_latest(registry)
    assert probe.calls == calls  # within the ttl: cached
    now[0] = 11.0
    probe.fail = True
    assert registry.get_sample_value("hub_consumer_lag_up", {"group": "worker"}) == 0
    assert registry.get_sample_value("hub_consumer_lag_records", {**labels, "partition": "0"}) is None


@pytest.mark.kafka
def test_lag_of_a_real_group(infra: HubSettings, topic: str) -> None:
    """On the broker: 5 records on partition 0, the group committed 2 → lag 3 there, 0 elsewhere."""
    producer = Producer(infra.kafka.ordered_producer_config())
    for i in range(5):
        producer.produce(topic, key=b"k", value=str(i).encode(), partition=0)
    assert producer.flush(30) == 0
    group = f"lag-test-{uuid.uuid4().hex[:8]}"
    committer = Consumer({**infra.kafka.confluent_config(), "group.id": group, "enable.auto.commit": False})
    try:
        committer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    finally:
        committer.close()
    registry = CollectorRegistry()
    registry.register(ConsumerLagCollector(KafkaOffsetProbe(infra), group, [topic]))
    text = generate_latest(registry).decode()
    assert f'hub_consumer_lag_records{{group="{group}",partition="0",topic="{topic}"}} 3.0' in text
    assert (
        registry.get_sample_value(
            "hub_consumer_lag_records", {"group": group, "topic": topic, "partition": "1"}
        )
        == 0
    )
    assert (
        registry.get_sample_value("hub_topic_end_offset", {"group": group, "topic": topic, "partition": "0"})
        == 5
    )
