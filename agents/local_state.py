"""Local worker state that does not match the broker is found before faust starts, and wiped.

A worker keeps its tables in RocksDB under the data dir (``.hub/data/<app id>``), with, per table partition,
the changelog offset it has applied. That state outlives the broker: after ``hub infra down --purge``, a
broker of another cluster, or a deleted changelog topic, faust's recovery stops the worker with
``ConsistencyError: The persisted offset ... is higher than the last offset`` — or, worse, when the new
changelog has grown past the old offset, restores nothing and works on a table from another broker.

:func:`stale_reasons` (pure) compares what the state was built from (:class:`BrokerIdentity` in the marker
file ``broker.json``: cluster id and changelog topic ids) and each partition's persisted offset with the
broker as it is now. Any mismatch makes :func:`reconcile` wipe the tables directory: faust then rebuilds every
table from its changelog, or starts empty when the changelog is gone (as it is after a purge, which also
drops the committed offsets, so the worker reprocesses from the start). The tables are wiped together because
they are only consistent with each other and with the committed offsets as a whole.

No faust import here: ``agents.startup`` passes in the paths and the offset key of faust's stores.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog
from confluent_kafka import Consumer, KafkaException, TopicCollection, TopicPartition
from confluent_kafka.admin import AdminClient

from hub.errors import InfraError
from hub.settings import HubSettings

log = structlog.get_logger(__name__)

MARKER = "broker.json"

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class BrokerIdentity:
    """What a worker's local state was built from: the cluster and the ids of its changelog topics."""

    cluster_id: str
    topic_ids: Mapping[str, str]

    def to_json(self) -> str:
        """The marker file's content."""
        return json.dumps({"cluster_id": self.cluster_id, "topic_ids": dict(sorted(self.topic_ids.items()))})

    @classmethod
    def from_json(cls, text: str) -> BrokerIdentity:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(str(data["cluster_id"]), {str(k): str(v) for k, v in data["topic_ids"].items()})


def stale_reasons(
    recorded: BrokerIdentity | None,
    current: BrokerIdentity,
    persisted: Mapping[TopicPartitionKey, int],
    ends: Mapping[TopicPartitionKey, int],
) -> list[str]:
    """Why the local state does not belong to the broker (empty: it does).

    ``recorded`` is the marker of the state (None for state made before markers existed), ``persisted`` the
    changelog offset each local table partition has applied, ``ends`` the changelog end offsets (next offset
    to be written; a missing partition counts as empty).
    """
    reasons: list[str] = []
    if recorded is not None:
        if recorded.cluster_id != current.cluster_id:
            reasons.append(f"it was built on Kafka cluster {recorded.cluster_id}, not {current.cluster_id}")
        else:
            recreated = sorted(
                topic
                for topic, topic_id in recorded.topic_ids.items()
                if current.topic_ids.get(topic, topic_id) != topic_id
            )
            if recreated:
                reasons.append(f"changelog topics were recreated: {', '.join(recreated)}")
    beyond = sorted(
        f"{topic}[{partition}] at {offset} >= end {ends.get((topic, partition), 0)}"
        for (topic, partition), offset in persisted.items()
        if offset >= ends.get((topic, partition), 0)
    )
    if beyond:
        shown = ", ".join(beyond[:3]) + (f" and {len(beyond) - 3} more" if len(beyond) > 3 else "")
        reasons.append(f"it has applied changelog offsets the broker does not have: {shown}")
    return reasons


def read_persisted_offset(db_path: Path, offset_key: bytes) -> int | None:
    """The changelog offset faust recorded in one table partition's RocksDB (read-only), or None."""
    from rocksdict import AccessType, Options, Rdict

    try:
        db = Rdict(str(db_path), options=Options(raw_mode=True), access_type=AccessType.read_only())
    except Exception as exc:  # rocksdict raises plain Exception for a damaged or foreign database
        raise InfraError(f"cannot read the worker state in {db_path}: {exc} (delete the directory)") from exc
    try:
        value = db.get(offset_key)
    finally:
        db.close()
    return None if value is None else int(value)


def broker_identity(settings: HubSettings, topics: list[str], timeout: float = 30.0) -> BrokerIdentity:
    """The cluster id and the ids of ``topics`` (those that exist) as the broker reports them now."""
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    try:
        cluster_id = admin.list_topics(timeout=timeout).cluster_id
        futures = admin.describe_topics(TopicCollection(topics), request_timeout=timeout)
    except KafkaException as exc:
        raise InfraError(f"cannot reach Kafka at {settings.kafka.bootstrap_servers}: {exc}") from exc
    topic_ids: dict[str, str] = {}
    for name, future in futures.items():
        try:
            topic_ids[name] = str(future.result().topic_id)
        except KafkaException:
            continue  # not there: its persisted offsets count against an empty topic
    return BrokerIdentity(str(cluster_id), topic_ids)


def end_offsets(
    settings: HubSettings, partitions: list[TopicPartitionKey], timeout: float = 10.0
) -> dict[TopicPartitionKey, int]:
    """High watermarks of ``partitions`` (0 for a partition the broker does not have)."""
    consumer = Consumer({**settings.kafka.confluent_config(), "group.id": "hub-state-check"})
    ends: dict[TopicPartitionKey, int] = {}
    try:
        for topic, partition in partitions:
            try:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout)
            except KafkaException:
                high = 0
            ends[(topic, partition)] = int(high)
    finally:
        consumer.close()
    return ends


def group_committed(
    settings: HubSettings, group: str, partitions: list[TopicPartitionKey], timeout: float = 10.0
) -> dict[TopicPartitionKey, int]:
    """The offsets consumer group ``group`` has committed for ``partitions``, as the broker holds them
    (a partition without a commit is absent). Raises :class:`InfraError` when the broker does not answer."""
    consumer = Consumer({**settings.kafka.confluent_config(), "group.id": group, "enable.auto.commit": False})
    try:
        found = consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=timeout)
    except KafkaException as exc:
        raise InfraError(f"cannot read the committed offsets of group {group}: {exc}") from exc
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): tp.offset for tp in found if tp.offset >= 0}


def reconcile(
    settings: HubSettings,
    tabledir: Path,
    stores: Mapping[TopicPartitionKey, Path],
    offset_key: bytes,
) -> list[str]:
    """Wipe ``tabledir`` when its state does not belong to the broker; record the broker it belongs to.

    ``stores`` maps each changelog partition to the RocksDB directory of its table partition. Returns the
    reasons the state was wiped (empty when it was kept). Call after the changelog topics exist.
    """
    marker = tabledir.parent / MARKER
    current = broker_identity(settings, sorted({topic for topic, _ in stores}))
    recorded = BrokerIdentity.from_json(marker.read_text()) if marker.is_file() else None
    persisted: dict[TopicPartitionKey, int] = {}
    for tp, path in stores.items():
        if path.is_dir() and (offset := read_persisted_offset(path, offset_key)) is not None:
            persisted[tp] = offset
    reasons = stale_reasons(recorded, current, persisted, end_offsets(settings, sorted(persisted)))
    if reasons:
        log.warning("worker.state_wiped", tabledir=str(tabledir), reasons=reasons)
        shutil.rmtree(tabledir, ignore_errors=True)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(current.to_json())
    return reasons
