"""Fill a worker's empty or far-behind table partitions straight from their changelogs, before faust starts.

faust restores a table by feeding every changelog record through its recovery loop one at a time (an
``asyncio.wait_for`` and a remaining-count over every partition per record): ~4 700 records/s here, so a
worker that lost its disk needs 220 s before ``/readyz`` with 1 M patients. The data faust writes is plain:
per table partition a RocksDB database whose keys and values are the changelog record's key and value bytes
(a tombstone deletes), and under faust's offset key the last changelog offset applied. :func:`bulk_restore`
writes exactly that, reading the changelog with confluent-kafka in large batches and writing RocksDB write
batches (each batch's records and its offset key in one atomic write, so a crash mid-way leaves a partition
consistent at some offset). faust then opens the same databases, finds the offsets, and recovers only what was
written since.

Only partitions more than ``min_records`` behind their changelog's end are filled (a partition that is nearly
up to date is faster left to faust). Every table partition is filled, assigned to this worker or not: before
faust starts nobody knows the assignment, and a partition filled but not assigned is consistent at its
offset (faust recovers the rest if it ever gets it). :mod:`agents.local_state` has already wiped state that
does not belong to the broker. No faust import: :mod:`agents.startup` passes in the paths, the offset key
and faust's way of opening a database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from agents.local_state import TopicPartitionKey, end_offsets, read_persisted_offset
from hub.errors import InfraError
from hub.settings import HubSettings

log = structlog.get_logger(__name__)

MIN_RECORDS = 5_000
"""A partition fewer records behind its changelog end than this is left to faust's own recovery (the
default of ``WorkerOptions.bulk_restore_min_records``)."""
BATCH = 10_000
"""Records per RocksDB write batch (and per confluent-kafka ``consume`` call)."""
STALL_S = 60.0
"""Give up when the broker delivers nothing for this long while records are still missing."""


class Database(Protocol):
    """The subset of a rocksdict database used here."""

    def write(self, batch: Any) -> None: ...

    def close(self) -> None: ...


OpenDatabase = Callable[[Path], Database]
NewBatch = Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Filled:
    """What :func:`bulk_restore` did."""

    partitions: int
    records: int
    seconds: float


def plan(
    persisted: Mapping[TopicPartitionKey, int | None],
    ends: Mapping[TopicPartitionKey, int],
    min_records: int = MIN_RECORDS,
) -> dict[TopicPartitionKey, int]:
    """The partitions worth filling and the offset to start each at (pure).

    ``persisted`` is each table partition's applied changelog offset (None: empty), ``ends`` the changelog
    end offsets (next offset to be written)."""
    starts: dict[TopicPartitionKey, int] = {}
    for tp, applied in persisted.items():
        start = 0 if applied is None else applied + 1
        if ends.get(tp, 0) - start >= min_records:
            starts[tp] = start
    return starts


def bulk_restore(
    settings: HubSettings,
    stores: Mapping[TopicPartitionKey, Path],
    *,
    offset_key: bytes,
    open_db: OpenDatabase,
    new_batch: NewBatch,
    min_records: int = MIN_RECORDS,
) -> Filled:
    """Fill the table partitions of ``stores`` (changelog partition → RocksDB directory) that are at least
    ``min_records`` behind, up to the changelog end as it is now. Raises :class:`InfraError` if the broker
    stops delivering before a partition is complete (what was written stays: it is consistent)."""
    started = time.monotonic()
    persisted = {
        tp: read_persisted_offset(path, offset_key) if path.is_dir() else None for tp, path in stores.items()
    }
    ends = end_offsets(settings, sorted(stores))
    starts = plan(persisted, ends, min_records)
    if not starts:
        return Filled(0, 0, time.monotonic() - started)
    log.info(
        "worker.bulk_restore",
        partitions=len(starts),
        records=sum(ends[tp] - start for tp, start in starts.items()),
    )
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": "hub-bulk-restore",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",  # a start below the log start (records deleted): from there
            "isolation.level": "read_uncommitted",  # as faust's own recovery reads
            "fetch.max.bytes": 64 * 1024 * 1024,
            "max.partition.fetch.bytes": 16 * 1024 * 1024,
        }
    )
    partitions: dict[TopicPartitionKey, _Partition] = {}
    try:
        for tp, start in sorted(starts.items()):
            stores[tp].parent.mkdir(parents=True, exist_ok=True)
            partitions[tp] = _Partition(tp, open_db(stores[tp]), new_batch, offset_key, ends[tp], start - 1)
        _fill(consumer, partitions, starts)
    finally:
        try:
            consumer.close()
        finally:
            for partition in partitions.values():
                partition.db.close()
    total = sum(p.applied for p in partitions.values())
    filled = Filled(len(starts), total, time.monotonic() - started)
    log.info("worker.bulk_restored", partitions=len(starts), records=total, seconds=round(filled.seconds, 1))
    return filled


def _fill(
    consumer: Consumer,
    partitions: Mapping[TopicPartitionKey, _Partition],
    starts: Mapping[TopicPartitionKey, int],
) -> None:
    """Read every partition from its start until its end, all at once (one fetch serves many)."""
    consumer.assign([TopicPartition(topic, partition, start) for (topic, partition), start in starts.items()])
    quiet_since = time.monotonic()
    try:
        while pending := [p for p in partitions.values() if not p.done]:
            messages = consumer.consume(num_messages=BATCH, timeout=1.0)
            for message in messages:
                partition = partitions.get((message.topic() or "", message.partition() or 0))
                if partition is not None:
                    partition.add(message)
            wrote = sum(p.write() for p in partitions.values())
            if wrote:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > STALL_S:
                missing = ", ".join(f"{p.tp[0]}[{p.tp[1]}] at {p.last + 1} of {p.end}" for p in pending[:3])
                raise InfraError(f"bulk restore: nothing delivered for {STALL_S:.0f} s ({missing})")
    except KafkaException as exc:
        raise InfraError(f"bulk restore failed: {exc}") from exc


@dataclass(slots=True)
class _Partition:
    """One table partition being filled from its changelog partition."""

    tp: TopicPartitionKey
    db: Database
    new_batch: NewBatch
    offset_key: bytes
    end: int
    last: int
    at_end: bool = False
    applied: int = 0
    _batch: Any = None
    _batched: int = 0

    @property
    def done(self) -> bool:
        """At the changelog's end (compaction or markers can leave no record at ``end - 1``) or past it."""
        return self.at_end or self.last >= self.end - 1

    def add(self, message: Message) -> None:
        """Put a fetched record (or the end-of-partition event) into the next write batch."""
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self.at_end = True
                return
            raise InfraError(f"bulk restore of {self.tp[0]}[{self.tp[1]}] failed: {error}")
        offset, key, value = message.offset(), message.key(), message.value()
        if self.done or offset is None or offset <= self.last or key is None:
            return  # past the end this fill started from (faust recovers the rest); a table record has a key
        if self._batch is None:
            self._batch = self.new_batch()
        if value is None:
            self._batch.delete(key)
        else:
            self._batch.put(key, value)
        self.last = offset
        self._batched += 1

    def write(self) -> int:
        """Write the batch and the offset key after it, in one atomic write; how many records it held."""
        n, batch = self._batched, self._batch
        if batch is None or not n:
            return 0
        batch.put(self.offset_key, str(self.last).encode())
        self.db.write(batch)
        self.applied += n
        self._batch, self._batched = None, 0
        return n
