"""The topic catalogue: every topic's name, partitions, clean-up policy and retention in one place.

``ensure_topics`` creates what is missing (idempotent) and leaves existing topics alone; ``confirm_topics``
waits until the cluster metadata shows every topic with its partition count and a leader for each partition.
The worker's own topics (``worker_specs``: internal topics, table changelogs, faust's leader topic) are made
and confirmed this way before its faust app starts: a topic faust declares itself at start-up can be missing
from the consumer's first metadata, and faust then sees a changelog of 0 partitions (``PartitionsMismatch``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
_CHANGELOG = (("cleanup.policy", "compact"),)
"""A table changelog keeps the latest value per key for ever (faust's own choice for a changelog)."""


def catalogue(topics: TopicSettings) -> list[TopicSpec]:
    """Every topic the hub uses, with its policy.

    Raw topics and canonical events keep 400 days (a year of history for ``hub replay`` plus margin);
    pathway state and avvik are compacted (latest per key); metrics keep 400 days; dead letters 90 days;
    the audit stream ten years.
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
        TopicSpec(topics.audit, 1, _retained(3650)),
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


WORKER_TABLES = ("pathway", "beds", "rejections")
"""The worker's faust tables; each has a compacted changelog co-partitioned with its source topic."""


def changelog_name(app_id: str, table: str) -> str:
    """The changelog topic faust uses for ``table`` of app ``app_id`` (``agents.startup`` checks faust)."""
    return f"{app_id}-{table}-changelog"


def leader_topic_name(app_id: str) -> str:
    """faust's one-partition topic that elects the leader (runs ``on_leader`` timers such as the ticks)."""
    return f"{app_id}-__assignor-__leader"


def worker_specs(app_id: str, partitions: int) -> list[TopicSpec]:
    """Every topic a worker's faust app would declare itself: internal topics, changelogs, leader topic."""
    return [
        *internal_specs(app_id, partitions),
        *(TopicSpec(changelog_name(app_id, table), partitions, _CHANGELOG) for table in WORKER_TABLES),
        TopicSpec(leader_topic_name(app_id), 1, _retained(1)),
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


def topic_problems(
    metadata: Mapping[str, Any], specs: list[TopicSpec], *, exact: bool = True
) -> tuple[list[str], list[str]]:
    """(fatal, pending) problems of ``specs`` in ``metadata`` (confluent ``list_topics().topics``).

    Fatal: a topic exists with another partition count (waiting will not help; only with ``exact``).
    Pending: a topic or a partition leader not in the metadata yet.
    """
    fatal: list[str] = []
    pending: list[str] = []
    for spec in specs:
        meta = metadata.get(spec.name)
        if meta is None or meta.error is not None:
            pending.append(f"{spec.name} not in the metadata yet")
            continue
        found = len(meta.partitions)
        if exact and found != spec.partitions:
            fatal.append(f"topic {spec.name} has {found} partitions, the hub needs {spec.partitions}")
            continue
        partitions = meta.partitions.items()
        leaderless = sorted(p for p, part in partitions if part.error is not None or part.leader < 0)
        if leaderless:
            pending.append(f"{spec.name} partitions {leaderless} have no leader yet")
    return fatal, pending


def confirm_topics(
    settings: HubSettings, specs: list[TopicSpec], *, exact: bool = True, timeout: float = 30.0
) -> None:
    """Wait until the cluster metadata shows every topic of ``specs`` (with its partition count if ``exact``)
    and a leader for each partition; :class:`InfraError` (one line) when a count differs or on timeout."""
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    deadline = time.monotonic() + timeout
    while True:
        try:
            metadata = admin.list_topics(timeout=max(1.0, deadline - time.monotonic())).topics
        except KafkaException as exc:
            raise InfraError(f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}") from exc
        fatal, pending = topic_problems(metadata, specs, exact=exact)
        if fatal:
            raise InfraError("; ".join(fatal) + " (delete it or set HUB_TOPICS__PARTITIONS to match)")
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise InfraError(f"topics not ready after {timeout:.0f} s: {'; '.join(pending)}")
        time.sleep(0.2)
