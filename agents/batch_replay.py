"""The batch replay driver: the partition processors over history, on confluent-kafka, without faust.

Each replay process consumes its share of the partitions of the replay's events topic and of its two internal
topics (bed segments, rejection join sides; written by the processes themselves, as the live worker does) in
batches (``consume(num_messages=...)``), hands each partition's records to the processors
(:mod:`agents.pipeline`), and produces their outputs batched (librdkafka linger, idempotent producer). Its
checkpoint keeps the commit order of the live worker: every output of the records so far confirmed by the
broker (``flush`` and the delivery reports), then their offsets committed (group ``app_id``).

The state lives in memory (a replay starts empty and, if it stops, starts again), so partitions are not moved
by a rebalance while it runs: process *i* of *n* takes the partitions *p* with *p* mod *n* = *i* of each
topic. More processes scale it the same way (on more machines, each runs its indexes); the offsets are
committed under one consumer group, so progress and lag tools see one group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from prometheus_client import CollectorRegistry

from agents.engines import DictTable
from agents.pipeline import TABLES, Pipeline, build_pipeline
from agents.processor import Batch, Output, Record, RegistryUnavailable, apply_writes
from agents.replay import committed_progress, worker_env
from hub.errors import InfraError
from hub.kafka.topics import ensure_topics, internal_specs
from hub.masterdata import load_masterdata
from hub.observability.metrics import HubMetrics
from hub.settings import HubSettings

log = structlog.get_logger(__name__)

BATCH = 5_000
COMMIT_EVERY_S = 2.0


@dataclass
class Checkpoint:
    """Offsets consumed since the last commit, and the delivery reports of what was produced for them."""

    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        """librdkafka's delivery report of one output."""
        if err is not None:
            self.failures.append(f"{msg.topic()}: {err}")

    def commit(self, producer: Producer, consumer: Consumer) -> None:
        """Outputs confirmed, then offsets committed; a lost output stops the replay."""
        if not self.offsets:
            return
        if producer.flush(120) != 0:
            raise InfraError("Kafka did not confirm the replay's outputs within 120 s")
        if self.failures:
            raise InfraError(f"{len(self.failures)} replay output(s) not written, e.g. {self.failures[0]}")
        consumer.commit(
            offsets=[TopicPartition(t, p, o + 1) for (t, p), o in self.offsets.items()], asynchronous=False
        )
        self.offsets.clear()
        self.started = time.monotonic()


def _record(msg: Message) -> Record:
    return Record(
        topic=msg.topic() or "",
        partition=msg.partition() or 0,
        offset=msg.offset() or 0,
        key=msg.key(),
        value=msg.value(),
        headers=_headers(msg),
    )


def _headers(msg: Message) -> tuple[tuple[str, bytes], ...]:
    pairs: list[tuple[str, bytes]] = []
    for pair in msg.headers() or []:
        name, value = pair[0], pair[1]
        raw = value if isinstance(value, bytes) else str(value or "").encode()
        pairs.append((str(name), raw))
    return tuple(pairs)


def _grouped(messages: Sequence[Message]) -> dict[tuple[str, int], list[Record]]:
    groups: dict[tuple[str, int], list[Record]] = {}
    for msg in messages:
        if msg.error() is not None:
            error = msg.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                continue
            raise InfraError(f"replay consumer: {error}")
        record = _record(msg)
        groups.setdefault((record.topic, record.partition), []).append(record)
    return groups


def _processed(process: Callable[[Sequence[Record]], Batch], records: list[Record]) -> list[Batch]:
    batches: list[Batch] = []
    wait = 1.0
    while records:
        try:
            batch = process(records)
        except RegistryUnavailable as exc:
            log.warning("registry.unreachable", error=str(exc), retry_in_s=wait)
            time.sleep(wait)
            wait = min(wait * 2, 30.0)
            continue
        batches.append(batch)
        records = records[batch.done :]
    return batches


def run_replay_process(settings: HubSettings, app_id: str, index: int, processes: int) -> None:
    """Replay this process's share until stopped (SIGTERM)."""
    tables = {name: DictTable() for name in TABLES}
    pipe: Pipeline = build_pipeline(
        settings,
        load_masterdata(settings.masterdata_dir),
        HubMetrics(CollectorRegistry()),
        tables,
        app_id=app_id,
        per_batch=True,  # each patient judged once per batch: the same outputs by key
    )
    names = pipe.topics
    stages = {
        names.events: pipe.pathway.process,
        names.beds: pipe.beds.process,
        names.joins: pipe.rejections.process,
    }
    config = settings.kafka.confluent_config()
    consumer = Consumer(
        {
            **config,
            "group.id": app_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.min.bytes": 65536,
            "fetch.wait.max.ms": 50,
        }
    )
    producer = Producer(
        {
            **config,
            "partitioner": "murmur2_random",  # the key partitioning of the Java clients and of aiokafka
            "enable.idempotence": True,
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
        }
    )
    assignment = []
    for topic in stages:
        meta = consumer.list_topics(topic, timeout=30).topics[topic]
        assignment += [TopicPartition(topic, p) for p in sorted(meta.partitions) if p % processes == index]
    committed = _committed(consumer, assignment)
    consumer.assign([TopicPartition(tp.topic, tp.partition, max(tp.offset, 0)) for tp in committed])
    stop = False

    def _stop(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    checkpoint = Checkpoint()
    try:
        while not stop:
            messages = consumer.consume(num_messages=BATCH, timeout=0.2)
            for (topic, partition), records in _grouped(messages).items():
                for batch in _processed(stages[topic], records):
                    for name, writes in batch.writes.items():
                        apply_writes(tables[name], writes)
                    for out in batch.outputs:
                        _produce(producer, out, checkpoint)
                checkpoint.offsets[(topic, partition)] = records[-1].offset
            producer.poll(0)
            if time.monotonic() - checkpoint.started >= COMMIT_EVERY_S or (
                not messages and checkpoint.offsets
            ):
                checkpoint.commit(producer, consumer)
        checkpoint.commit(producer, consumer)
    finally:
        consumer.close()


def _committed(consumer: Consumer, assignment: list[TopicPartition]) -> list[TopicPartition]:
    """The group's committed offsets, waiting (60 s at most) for a group coordinator that is still loading."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return list(consumer.committed(assignment, timeout=10))
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise InfraError(f"replay: no committed offsets from Kafka: {exc}") from exc
            log.warning("replay.committed_retry", error=str(exc))
            time.sleep(1)


def _produce(producer: Producer, out: Output, checkpoint: Checkpoint) -> None:
    value = out.encode()
    while True:
        try:
            producer.produce(
                out.topic,
                key=out.key,
                value=value,
                headers=list(out.headers),
                on_delivery=checkpoint.on_delivery,
            )
        except BufferError:
            producer.poll(0.05)
        else:
            return


def prepare_internal(settings: HubSettings, app_id: str) -> None:
    """Create the replay's topics (outputs, bed segments, rejection join sides) if they are missing."""
    specs = [s for s in internal_specs(app_id, settings.topics.partitions) if not s.name.endswith(".ticks")]
    ensure_topics(settings)
    ensure_topics(settings, specs)


def _progress(settings: HubSettings, app_id: str) -> tuple[tuple[int, int], ...]:
    """(committed, end) of the events topic and of the two internal topics."""
    topics = (settings.topics.events, f"{app_id}.internal.beds", f"{app_id}.internal.rejections")
    return tuple(committed_progress(settings, app_id, topic) for topic in topics)


def _caught_up(progress: tuple[tuple[int, int], ...], total: int) -> bool:
    """Every event (``total`` loaded, plus the completed rejections the replay wrote back to the events
    topic) and every internal record committed. A stage writes its outputs before it commits its input, so
    nothing is left in flight."""
    return progress[0][0] >= total and all(done >= end for done, end in progress)


def run_batch_replay(
    settings: HubSettings,
    app_id: str,
    total: int,
    *,
    processes: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    log_file: Path | None = None,
    timeout_s: float = 3600,
) -> float:
    """Run ``processes`` replay processes (default: one per CPU) until every event and every internal record
    is committed; return the seconds from start to done."""
    count = processes or os.cpu_count() or 1
    prepare_internal(settings, app_id)
    log_handle = (log_file or settings.data_dir / "replay.log").open("ab")
    procs = [
        subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "agents.batch_replay", app_id, str(i), str(count)],
            env=worker_env(settings),
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for i in range(count)
    ]
    started = time.monotonic()
    try:
        last = 0
        while True:
            for proc in procs:
                if proc.poll() is not None:
                    raise InfraError(f"replay process exited with {proc.returncode}; see {log_handle.name}")
            done, _end = committed_progress(settings, app_id, settings.topics.events)
            if on_progress and done > last:
                on_progress(done - last)
                last = done
            if done >= total:
                first = _progress(settings, app_id)
                time.sleep(0.5)
                # the same twice: the topics are read one after the other, and a stage may have written to
                # another's topic in between
                if _caught_up(first, total) and _progress(settings, app_id) == first:
                    return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise InfraError(f"replay did not finish within {timeout_s:.0f} s")
            time.sleep(0.2)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log_handle.close()


def main(argv: Sequence[str]) -> None:
    """``python -m agents.batch_replay APP_ID INDEX PROCESSES`` (settings from the environment)."""
    from hub.logs import configure_logging
    from hub.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    app_id, index, processes = argv[0], int(argv[1]), int(argv[2])
    run_replay_process(settings, app_id, index, processes)


if __name__ == "__main__":
    main(sys.argv[1:])
