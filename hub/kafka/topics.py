"""The topic catalogue: every topic's name, partitions, clean-up policy and retention in one place.

``ensure_topics`` creates what is missing (idempotent) and leaves existing topics alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from hub.errors import InfraError
from hub.settings import HubSettings, TopicSettings

log = structlog.get_logger(__name__)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: name, partitions and configuration."""

    name: str
    partitions: int
    config: tuple[tuple[str, str], ...]

    @property
    def config_dict(self) -> dict[str, str]:
        """The topic configuration as a dict."""
        return dict(self.config)


def _retained(days: int) -> tuple[tuple[str, str], ...]:
    return (("cleanup.policy", "delete"), ("retention.ms", str(days * DAY_MS)))


_COMPACTED = (("cleanup.policy", "compact"), ("min.compaction.lag.ms", str(60_000)))


def catalogue(topics: TopicSettings) -> list[TopicSpec]:
    """Every topic the hub uses, with its policy.

    Raw topics and canonical events keep 400 days (a year of history for ``hub replay`` plus margin);
    pathway state and avvik are compacted (latest per key); metrics keep 400 days; dead letters 90 days.
    """
    p = topics.partitions
    raw = [topics.raw_hl7v2, topics.raw_fhir, topics.raw_plo, topics.raw_ambulance, topics.raw_kpr]
    specs = [TopicSpec(name, p, _retained(400)) for name in raw]
    specs += [
        TopicSpec(topics.events, p, _retained(400)),
        TopicSpec(topics.pathway_state, p, _COMPACTED),
        TopicSpec(topics.avvik, p, _COMPACTED),
        TopicSpec(topics.beds_metrics, p, _retained(400)),
        TopicSpec(topics.dlq, 1, _retained(90)),
    ]
    return specs


def partitions_of(settings: HubSettings, topic: str, timeout: float = 30.0) -> int | None:
    """Partition count of an existing topic, or None when it does not exist."""
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    try:
        meta = admin.list_topics(topic, timeout=timeout).topics.get(topic)
    except KafkaException as exc:
        raise InfraError(f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}") from exc
    if meta is None or meta.error is not None:
        return None
    return len(meta.partitions)


def internal_specs(app_id: str, partitions: int) -> list[TopicSpec]:
    """The worker's internal topics, co-partitioned with ``samhandling.events`` (same partition count)."""
    return [
        TopicSpec(f"{app_id}.internal.ticks", partitions, _retained(1)),
        TopicSpec(f"{app_id}.internal.beds", partitions, _retained(7)),
        TopicSpec(f"{app_id}.internal.rejections", partitions, _retained(400)),
    ]


def ensure_topics(
    settings: HubSettings, specs: list[TopicSpec] | None = None, timeout: float = 30.0
) -> list[str]:
    """Create the missing topics; return the names created."""
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    wanted = specs if specs is not None else catalogue(settings.topics)
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise InfraError(f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}") from exc
    new = [
        NewTopic(s.name, s.partitions, settings.topics.replication_factor, config=s.config_dict)
        for s in wanted
        if s.name not in existing
    ]
    if not new:
        return []
    created = []
    for name, future in admin.create_topics(new, operation_timeout=timeout).items():
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise InfraError(f"cannot create topic {name}: {exc}") from exc
    log.info("topics created", topics=created)
    return created
