"""Replay: reprocess history through the real pipeline into fresh output topics (rule back-testing on Kafka).

The source (a JSON-lines file of canonical events, or a time range of ``samhandling.events``) is copied into
``<prefix>.events``; a worker with its own consumer group and tables runs in event-time mode on
``<prefix>.*`` topics until it has committed every input offset; the summary is read from ``<prefix>.avvik``.
Nothing of the live topics is touched except reading ``samhandling.events``.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from hub.errors import HubError, InfraError
from hub.events import Event
from hub.events.outputs import AvvikRecord
from hub.kafka.topics import ensure_topics
from hub.serde import codec_for
from hub.settings import HubSettings, TopicSettings, settings_env


@dataclass
class ReplaySummary:
    """What a replay did."""

    prefix: str
    events: int
    seconds: float
    avvik_by_code: dict[str, collections.Counter[str]] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        """Pipeline throughput."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def replay_settings(settings: HubSettings, prefix: str, partitions: int | None = None) -> HubSettings:
    """Settings whose every topic is ``<prefix>.<default name>`` and whose state lives apart."""
    defaults = TopicSettings()
    names = {
        name: f"{prefix}.{getattr(defaults, name).removeprefix('samhandling.')}"
        for name in TopicSettings.model_fields
        if name not in ("partitions", "replication_factor")
    }
    topics = TopicSettings(
        **names,
        partitions=partitions or settings.topics.partitions,
        replication_factor=settings.topics.replication_factor,
    )
    return settings.model_copy(update={"topics": topics, "data_dir": settings.data_dir / "replay" / prefix})


def events_from_file(path: Path) -> Iterator[Event]:
    """Canonical events from a JSON-lines file (blank lines skipped; a bad line raises with its number)."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield Event.model_validate_json(line)
            except ValueError as exc:
                raise HubError(f"{path}:{number}: not a canonical event: {exc}") from exc


def events_from_topic(settings: HubSettings, start: datetime | None, end: datetime | None) -> Iterator[Event]:
    """Events on ``samhandling.events`` whose ``occurred_at`` lies in ``[start, end)``, up to today's end."""
    codec = codec_for(settings, Event, settings.topics.events)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"replay-reader-{os.getpid()}-{time.time_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        meta = consumer.list_topics(settings.topics.events, timeout=30).topics[settings.topics.events]
        parts = [TopicPartition(settings.topics.events, p) for p in meta.partitions]
        ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=30)[1] for tp in parts}
        consumer.assign([TopicPartition(tp.topic, tp.partition, 0) for tp in parts])
        done = {p for p, high in ends.items() if high == 0}
        while len(done) < len(parts):
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            partition, offset = msg.partition(), msg.offset()
            if partition is None or offset is None:
                continue
            if offset + 1 >= ends[partition]:
                done.add(partition)
            value = msg.value()
            if not value:
                continue
            event = codec.decode(value)
            if (start is None or event.occurred_at >= start) and (end is None or event.occurred_at < end):
                yield event
    finally:
        consumer.close()
        codec.close()


def load_events(settings: HubSettings, events: Iterable[Event]) -> int:
    """Produce events to ``settings.topics.events`` keyed by pseudonym (murmur2, like the Java clients)."""
    codec = codec_for(settings, Event, settings.topics.events)
    producer = Producer(
        {**settings.kafka.ordered_producer_config(), "partitioner": "murmur2_random", "linger.ms": 20}
    )
    count = 0
    try:
        for event in events:
            while True:
                try:
                    producer.produce(
                        settings.topics.events, key=event.key.encode(), value=codec.encode(event)
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
            count += 1
            if count % 5000 == 0:
                producer.poll(0)
        if producer.flush(60) != 0:
            raise InfraError("Kafka did not confirm every replayed event")
    finally:
        codec.close()
    return count


def committed_progress(settings: HubSettings, group: str, topic: str) -> tuple[int, int]:
    """(committed, end) offsets summed over the partitions of ``topic`` for consumer group ``group``."""
    consumer = Consumer({**settings.kafka.confluent_config(), "group.id": group, "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in meta.partitions]
        committed = consumer.committed(parts, timeout=10)
        done = sum(max(tp.offset, 0) for tp in committed)
        end = sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts)
    except KafkaException:
        return 0, 1
    finally:
        consumer.close()
    return done, end


def worker_env(settings: HubSettings) -> dict[str, str]:
    """The environment of a worker subprocess on ``settings``' topics and data dir."""
    return settings_env(settings)


def run_pipeline(
    settings: HubSettings,
    app_id: str,
    total: int,
    *,
    on_progress: Callable[[int], None] | None = None,
    log_file: Path | None = None,
    timeout_s: float = 3600,
) -> float:
    """Run a worker on ``settings`` until it committed every event; return the seconds from start to done."""
    log = (log_file or settings.data_dir / "worker.log").open("ab")
    proc = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "hub.cli", "worker", "--clock", "event", "--app-id", app_id],
        env=worker_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = time.monotonic()
    try:
        last = 0
        while True:
            if proc.poll() is not None:
                raise InfraError(f"replay worker exited with {proc.returncode}; see {log.name}")
            done, _end = committed_progress(settings, app_id, settings.topics.events)
            if on_progress and done > last:
                on_progress(done - last)
                last = done
            if done >= total:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise InfraError(f"replay did not finish within {timeout_s:.0f} s")
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def summarise(settings: HubSettings, prefix: str, events: int, seconds: float) -> ReplaySummary:
    """Latest avvik per key on the replay's avvik topic, counted by code and status."""
    codec = codec_for(settings, AvvikRecord, settings.topics.avvik)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"{prefix}-summary",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    latest: dict[bytes, AvvikRecord] = {}
    try:
        meta = consumer.list_topics(settings.topics.avvik, timeout=10).topics[settings.topics.avvik]
        parts = [TopicPartition(settings.topics.avvik, p) for p in meta.partitions]
        ends = {tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts}
        consumer.assign([TopicPartition(tp.topic, tp.partition, 0) for tp in parts])
        remaining = {p for p, high in ends.items() if high > 0}
        while remaining:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            partition, offset = msg.partition(), msg.offset()
            if partition is not None and offset is not None and offset + 1 >= ends[partition]:
                remaining.discard(partition)
            if msg.value():
                latest[msg.key() or b""] = codec.decode(msg.value() or b"")
    finally:
        consumer.close()
        codec.close()
    by_code: dict[str, collections.Counter[str]] = {}
    for rec in latest.values():
        by_code.setdefault(rec.code, collections.Counter())[rec.status.value] += 1
    return ReplaySummary(prefix, events, seconds, dict(sorted(by_code.items())))


def prepare(settings: HubSettings) -> None:
    """Create the replay's topics."""
    ensure_topics(settings)
