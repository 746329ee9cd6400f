"""The worker's partition processors: records of one partition in, output records and table writes out.

No faust, no Kafka, no asyncio here. A driver (the live faust worker in :mod:`agents.worker`, tests with
in-memory fakes) hands each processor a batch of one partition's records in offset order and gets back a
:class:`Batch`: the records to produce (each a model with the codec that encodes it, so a driver can wait
out a schema registry that does not answer) and the table writes, both coalesced per key within the batch
(last write wins) where the topic or table is compacted. The driver then writes the tables, produces the
outputs and, once the broker confirmed them, lets the offsets be committed (the commit order is written down
in :class:`agents.app.HubApp`).

Four processors, one per agent:

* :class:`NormaliseProcessor`: raw topic record → canonical events, or a dead letter;
* :class:`PathwayProcessor`: canonical events and ticks → avvik, pathway states, bed segments, rejection
  join sides, dead letters; the pathway table;
* :class:`BedsStage`: bed segments → bed metrics; the beds table;
* :class:`RejectionsStage`: join sides → completed rejections back to the events topic; the joins table.

A record that cannot be decoded because the schema registry does not answer raises
:class:`RegistryUnavailable` *before* anything changed, with the records before it done: the driver
produces those, waits, and hands the rest in again. Every other bad record becomes a dead letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from pydantic import BaseModel

from agents.bed_sync import BedSegmentRecord, capacity_record, restored_records, segment_records
from agents.beds import BedsProcessor
from agents.convert import avvik_record, pathway_record
from agents.engines import EVENTS_INPUT, TICKS_INPUT, EngineSet, KeyValueTable
from agents.normaliser import Normaliser
from agents.observe import PipelineObserver
from agents.registry_wait import registry_unreachable
from agents.rejections import RejectionJoiner, link_for
from hub.domain import (
    ApplyFailed,
    AvvikUpsert,
    BedDelta,
    BedSegment,
    CapacitySet,
    Engine,
    JudgementFailed,
    PathwayChanged,
    PathwayState,
)
from hub.domain.effects import Effect
from hub.domain.facts import REJECTABLE
from hub.errors import HubError, SerdeError
from hub.events import Event, EventType, SourceKind
from hub.events.internal import RejectionJoin, Tick
from hub.events.outputs import AvvikRecord, AvvikStatus
from hub.events.transport import DeadLetterRecord
from hub.identity.masking import mask_digits
from hub.identity.sealing import Sealer
from hub.observability.metrics import HubMetrics
from hub.ops.traceparent import derived_headers

log = structlog.get_logger(__name__)


class Encoder(Protocol):
    """What turns an output model into bytes (a topic codec)."""

    def encode(self, record: Any) -> bytes: ...


class Decoder(Protocol):
    """What turns consumed bytes into a model (a topic codec)."""

    def decode(self, data: bytes) -> Any: ...


class RegistryUnavailable(HubError):
    """A record's schema could not be fetched (the registry did not answer); nothing of it was applied."""


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Output:
    """One record to produce: ``value`` None is a tombstone; ``codec`` encodes a model value."""

    topic: str
    key: bytes
    value: BaseModel | None
    codec: Encoder | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    """Kafka headers: the W3C ``traceparent`` of the step that made it (set by the batch runner)."""

    def encode(self) -> bytes | None:
        """The value's bytes (codec calls may reach the schema registry)."""
        if self.value is None:
            return None
        if self.codec is None:
            raise TypeError(f"output for {self.topic} has a value but no codec")
        return self.codec.encode(self.value)


@dataclass
class Batch:
    """What a batch produced: outputs in order (compacted topics coalesced per key, last write wins), the
    table writes per table name (None deletes), and how many of the records were done."""

    outputs: list[Output] = field(default_factory=list)
    writes: dict[str, dict[bytes, bytes | None]] = field(default_factory=dict)
    done: int = 0


class Outbox:
    """Collects one batch's outputs; on ``compacted`` topics a later record of a key replaces the earlier
    one and takes its place at the end of the order."""

    def __init__(self, compacted: frozenset[str]) -> None:
        self.compacted = compacted
        self._items: dict[object, Output] = {}
        self._n = 0
        self.headers: tuple[tuple[str, bytes], ...] = ()
        """Headers given to every output added without its own (the trace step of the current record)."""

    def add(self, output: Output) -> None:
        """Add one output."""
        if not output.headers and self.headers:
            output = replace(output, headers=self.headers)
        slot: object
        if output.topic in self.compacted:
            slot = (output.topic, output.key)
            self._items.pop(slot, None)
        else:
            self._n += 1
            slot = self._n
        self._items[slot] = output

    def outputs(self) -> list[Output]:
        """The outputs in order."""
        return list(self._items.values())


class StagedTable:
    """A table's writes held back until the end of a batch (last write per key wins), over the real table.

    Reads see the staged writes first. :meth:`drain` hands the writes to the driver, which applies them to
    the real table (a faust table, whose changelog they then reach).
    """

    def __init__(self, base: KeyValueTable) -> None:
        self.base = base
        self._staged: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        """The value of ``key`` (staged first)."""
        if key in self._staged:
            return self._staged[key]
        return self.base.get(key)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._staged[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._staged[key] = None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every key and value, staged writes applied."""
        for key, value in self.base.items():
            if key not in self._staged:
                yield key, value
        for key, staged in self._staged.items():
            if staged is not None:
                yield key, staged

    def drain(self) -> dict[bytes, bytes | None]:
        """The staged writes (then forgotten)."""
        writes, self._staged = self._staged, {}
        return writes


def apply_writes(table: KeyValueTable, writes: dict[bytes, bytes | None]) -> None:
    """Apply a batch's writes to the real table (a delete of an absent key is skipped)."""
    for key, value in writes.items():
        if value is not None:
            table[key] = value
        elif table.get(key) is not None:
            del table[key]


def source_kind(name: str) -> SourceKind:
    """The source kind of a dead letter's ``source`` (a format or topic name)."""
    try:
        return SourceKind(name.upper())
    except ValueError:
        return SourceKind.SIMULATOR if name == "simulator" else SourceKind.MANUAL


Step = Callable[[Record, Outbox], None]


def _run(
    records: Sequence[Record],
    step: Step,
    compacted: frozenset[str],
    tables: dict[str, StagedTable],
    finish: Callable[[Outbox], None] | None = None,
) -> Batch:
    """Run ``step`` over ``records``; stop before a record whose schema cannot be fetched. ``finish`` runs
    before the table writes are taken (a stage that judges, or writes what it changed, once per batch)."""
    box = Outbox(compacted)
    done = 0
    try:
        for record in records:
            # every record derived from this one continues its trace as one child span (W3C traceparent)
            box.headers = _trace_step(record)
            step(record, box)
            done += 1
    except RegistryUnavailable:
        if done == 0:
            raise
    finally:
        if finish is not None:
            finish(box)
    return Batch(box.outputs(), {name: table.drain() for name, table in tables.items()}, done)


def _trace_step(record: Record) -> tuple[tuple[str, bytes], ...]:
    """The headers of the records derived from ``record``: its trace continued as a new child span."""
    return tuple(
        (name, value if isinstance(value, bytes) else str(value or "").encode())
        for name, value in derived_headers(record.headers)
    )


def _decode(codec: Decoder, data: bytes) -> Any:
    """``codec.decode(data)``; a registry that does not answer is :class:`RegistryUnavailable`."""
    try:
        return codec.decode(data)
    except SerdeError as exc:
        if registry_unreachable(exc):
            raise RegistryUnavailable(str(exc)) from exc
        raise


@dataclass
class Counters:
    """What a worker did, by name (tests and the demo look at them)."""

    values: dict[str, int] = field(default_factory=dict)

    def bump(self, name: str, n: int = 1) -> None:
        """Count ``n`` more of ``name``."""
        self.values[name] = self.values.get(name, 0) + n


@dataclass(frozen=True)
class Topics:
    """The topic names the processors write to."""

    events: str
    avvik: str
    pathway_state: str
    beds_metrics: str
    dlq: str
    ticks: str
    beds: str
    joins: str

    @property
    def compacted(self) -> frozenset[str]:
        """Topics where only the latest record of a key counts."""
        return frozenset({self.avvik, self.pathway_state, self.beds_metrics})


@dataclass
class Codecs:
    """The codecs of every record type the processors read or write."""

    raw: Decoder
    event: Any
    dlq: Encoder
    avvik: Encoder
    state: Encoder
    metrics: Encoder
    tick: Any
    bed: Any
    join: Any


class DeadLetters:
    """Dead letters of the hub's own topics: the sealed original and the reason, masked."""

    def __init__(self, topic: str, codec: Encoder, sealer: Sealer, metrics: HubMetrics, counters: Counters):
        self.topic = topic
        self.codec = codec
        self.sealer = sealer
        self.metrics = metrics
        self.counters = counters

    def output(self, record: DeadLetterRecord) -> Output:
        """The dead letter as an output (counted)."""
        self.metrics.dead_lettered(source_kind(record.source), record.code)
        self.counters.bump("dlq")
        return Output(self.topic, (record.message_id or record.payload_sha256).encode(), record, self.codec)

    def of_event(self, data: bytes, reason: str, code: str = "serde") -> Output:
        """A dead letter for an events-topic record the pathway cannot take."""
        return self.output(
            DeadLetterRecord(
                source="events",
                stage="pathway",
                code=code,
                reason=mask_digits(reason),
                received_at=datetime.now(UTC),
                payload_sha256=self.sealer.digest(data),
                sealed_payload=self.sealer.seal(data),
                key_id=self.sealer.active_key_id,
            )
        )

    def of_judgement(self, failed: JudgementFailed) -> Output:
        """A dead letter for a patient the core failed to judge at a deadline (the payload is its pseudonym:
        no event is to blame, the patient's state is)."""
        reason = f"internal error {failed.error} (judging patient {failed.pseudonym})"
        return self.of_event(failed.pseudonym.encode(), reason, code="internal")


@dataclass
class Context:
    """What every processor of one worker shares."""

    topics: Topics
    codecs: Codecs
    dead: DeadLetters
    metrics: HubMetrics
    counters: Counters


class NormaliseProcessor:
    """Raw records → canonical events on the events topic, or dead letters."""

    def __init__(self, ctx: Context, normaliser: Normaliser, clock: Callable[[], datetime]) -> None:
        self.ctx = ctx
        self.normaliser = normaliser
        self.clock = clock

    def process(self, records: Sequence[Record]) -> Batch:
        """Normalise a batch of one partition's raw records."""
        return _run(records, self._one, self.ctx.topics.compacted, {})

    def _one(self, record: Record, box: Outbox) -> None:
        self.ctx.metrics.message_consumed(record.topic)
        result = self.normaliser.normalise(record.value or b"", topic=record.topic, now=self.clock())
        if result.dead_letter is not None:
            if result.dead_letter.code == "serde" and _registry_down(self.ctx.codecs.raw, record.value):
                raise RegistryUnavailable(result.dead_letter.reason)
            box.add(self.ctx.dead.output(result.dead_letter))
            return
        for event in result.events:
            box.add(Output(self.ctx.topics.events, event.key.encode(), event, self.ctx.codecs.event))
        self.ctx.metrics.message_produced(self.ctx.topics.events, len(result.events))
        self.ctx.counters.bump("normalised", len(result.events))


def _registry_down(codec: Decoder, data: bytes | None) -> bool:
    """True when ``data`` failed to decode only because the registry did not answer."""
    try:
        codec.decode(data or b"")
    except SerdeError as exc:
        return registry_unreachable(exc)
    return False


class PathwayProcessor:
    """Canonical events and ticks of one partition → the pure core → outputs; the pathway table."""

    def __init__(
        self,
        ctx: Context,
        engines: EngineSet,
        table: StagedTable,
        observer: PipelineObserver,
        *,
        per_batch: bool = False,
    ) -> None:
        self.ctx = ctx
        self.engines = engines
        self.table = table
        self.observer = observer
        self.per_batch = per_batch
        """Judge each patient once per batch (``Engine.defer``/``settle``): the same outputs by key, fewer
        versions of each. The batch replay's; the live worker's batches are single records."""
        self.watermarks: dict[int, datetime] = {}
        self._deferred: dict[int, dict[str, bytes]] = {}
        """Per partition, the events deferred in this batch by id (dead-lettered if the core fails on one)."""
        engines.defer_writes = True  # each changed state written once per batch, by the flush below

    def process(self, records: Sequence[Record]) -> Batch:
        """Apply a batch of one partition's events and ticks (in offset order)."""
        return _run(records, self._one, self.ctx.topics.compacted, {"pathway": self.table}, self._finish)

    def _finish(self, box: Outbox) -> None:
        """The batch's deferred judgements, then each changed state written once."""
        deferred, self._deferred = self._deferred, {}
        for partition, data in deferred.items():
            self._publish(box, self.engines.engine(partition).settle(), partition, deferred=data)
        self.engines.flush()

    def _one(self, record: Record, box: Outbox) -> None:
        partition = record.partition
        data = record.value or b""
        tick: Tick | None = None
        ev: Event | None = None
        if record.topic == self.ctx.topics.ticks:
            tick = self.ctx.codecs.tick.decode(data)
        else:
            try:
                ev = _decode(
                    self.ctx.codecs.event, data
                )  # may raise RegistryUnavailable: nothing changed yet
            except SerdeError as exc:
                box.add(self.ctx.dead.of_event(data, str(exc)))
                return
        engine = self.engines.engine(partition)
        # the values this record changes say so: a rebuild re-emits only patients changed since the commit
        self.engines.store(partition).position = (
            TICKS_INPUT if tick is not None else EVENTS_INPUT,
            record.offset,
        )
        restored = self.engines.take_restored(partition)
        if restored:  # after a restart the table may be ahead of the outputs: re-emit them (idempotent)
            store = self.engines.store(partition)
            for pseudonym in restored:
                self._publish(box, engine.snapshot(pseudonym), partition, count=False)
                segments = _segments(store.get(pseudonym))
                self._beds(box, restored_records(segments, store.withdrawals(pseudonym)))
            log.info("outputs re-emitted after restore", partition=partition, patients=len(restored))
        if tick is not None:
            moved = engine.settle(tick.now) if self.per_batch else engine.advance(tick.now)
            self._publish(box, moved, partition, deferred=self._deferred.get(partition))
            return
        if ev is None:  # pragma: no cover - decoded above unless a tick
            return
        self.ctx.metrics.message_consumed(record.topic)
        self.observer.on_event(ev)
        if ev.event_type is EventType.MESSAGE_REJECTED and ev.patient is None:
            side = RejectionJoin(rejection=ev.model_dump_json())
            box.add(Output(self.ctx.topics.joins, ev.key.encode(), side, self.ctx.codecs.join))
            return
        if ev.event_type in REJECTABLE and (link := link_for(ev)) is not None:
            box.add(
                Output(
                    self.ctx.topics.joins,
                    link.message_id.encode(),
                    RejectionJoin(link=link),
                    self.ctx.codecs.join,
                )
            )
        self._apply(box, engine, ev, data, partition)

    def _apply(self, box: Outbox, engine: Engine, ev: Event, data: bytes, partition: int) -> None:
        """One event through the core (judged now, or deferred to the end of the batch), the clock moved."""
        deferred = self._deferred.setdefault(partition, {}) if self.per_batch else None
        if deferred is not None:
            deferred[ev.event_id] = data
        try:
            effects = engine.apply(ev) if deferred is None else engine.defer(ev)
        except Exception as exc:  # a poison event must not stall its partition: dead-letter it
            self._core_failed(box, data, ev.event_id, exc)
            return
        mark = self.watermarks.get(partition)
        if mark is None or ev.occurred_at > mark:
            self.watermarks[partition] = mark = ev.occurred_at
        if deferred is None:
            effects += engine.advance(mark)
        else:
            engine.hold(mark)
        self.ctx.counters.bump("events")
        self._publish(box, effects, partition, deferred=deferred)

    def _core_failed(self, box: Outbox, data: bytes, event_id: str, exc: BaseException) -> None:
        log.error("core failed on an event", event_id=event_id, exc_info=exc)
        reason = f"internal error {type(exc).__name__}: {exc} (event {event_id})"
        box.add(self.ctx.dead.of_event(data, reason, code="internal"))

    def _beds(self, box: Outbox, records: Iterable[BedSegmentRecord]) -> None:
        n = 0
        for rec in records:
            box.add(Output(self.ctx.topics.beds, rec.unit_id.encode(), rec, self.ctx.codecs.bed))
            n += 1
        self.ctx.counters.bump("bed_changes", n)

    def _publish(
        self,
        box: Outbox,
        effects: list[Effect],
        partition: int,
        *,
        count: bool = True,
        deferred: dict[str, bytes] | None = None,
    ) -> None:
        """Effects as outputs; ``count=False`` for re-emitted outputs (no counter increments); ``deferred``:
        the bytes of the batch's deferred events, by id (an :class:`ApplyFailed` dead-letters its event).

        Bed deltas only say which segments changed: each changed segment is sent as it is now
        (:mod:`agents.bed_sync`), and the patient's table value remembers the withdrawals among them.
        """
        store = self.engines.store(partition)
        deltas = [effect for effect in effects if isinstance(effect, BedDelta)]
        if deltas:
            records, gone = segment_records(deltas, lambda p: _segments(store.get(p)))
            for pseudonym, places in gone.items():
                store.note_withdrawals(pseudonym, places)
            self._beds(box, records)
        for effect in effects:
            if isinstance(effect, AvvikUpsert):
                rec = avvik_record(effect.record)
                box.add(Output(self.ctx.topics.avvik, rec.avvik_id.encode(), rec, self.ctx.codecs.avvik))
                self.observer.on_avvik(rec)
                if count:
                    self._count_avvik(rec)
                self.ctx.counters.bump("avvik")
            elif isinstance(effect, PathwayChanged):
                if effect.summary is None:
                    box.add(Output(self.ctx.topics.pathway_state, effect.pseudonym.encode(), None))
                    self.observer.on_state(None, effect.pseudonym)
                else:
                    srec = pathway_record(effect.summary)
                    box.add(
                        Output(
                            self.ctx.topics.pathway_state,
                            srec.pseudonym.encode(),
                            srec,
                            self.ctx.codecs.state,
                        )
                    )
                    self.observer.on_state(srec, srec.pseudonym)
                self.ctx.counters.bump("states")
            elif isinstance(effect, CapacitySet):
                self._beds(box, [capacity_record(effect)])
            elif isinstance(effect, JudgementFailed):  # the core raised at a deadline: never silently
                log.error(
                    "core failed judging a patient",
                    pseudonym=effect.pseudonym,
                    error=effect.error,
                    exc_info=effect.exc,
                )
                box.add(self.ctx.dead.of_judgement(effect))
            elif isinstance(effect, ApplyFailed):  # found at settle: the event as if it never came
                data = (deferred or {}).get(effect.event_id, b"")
                self._core_failed(box, data, effect.event_id, effect.exc or RuntimeError(effect.error))

    def _count_avvik(self, rec: AvvikRecord) -> None:
        hf = rec.helsefellesskap or "unknown"
        if rec.status is AvvikStatus.OPEN:
            self.ctx.metrics.avvik_was_opened(rec.code, hf)
        elif rec.status is AvvikStatus.RESOLVED:
            self.ctx.metrics.avvik_was_resolved(rec.code, hf)
        else:
            self.ctx.metrics.avvik_was_retracted(rec.code, hf)


class BedsStage:
    """Bed segment records → bed metrics records (and Prometheus gauges); the beds table."""

    def __init__(self, ctx: Context, beds: BedsProcessor, table: StagedTable) -> None:
        self.ctx = ctx
        self.beds = beds
        self.table = table
        beds.defer_writes = True  # each changed unit written once per batch, by the flush below

    def process(self, records: Sequence[Record]) -> Batch:
        """Fold a batch of one partition's bed records in."""
        return _run(
            records, self._one, self.ctx.topics.compacted, {"beds": self.table}, lambda _: self.beds.flush()
        )

    def _one(self, record: Record, box: Outbox) -> None:
        try:
            change: BedSegmentRecord = self.ctx.codecs.bed.decode(record.value or b"")
        except SerdeError as exc:  # a bed delta of an older version: re-sent as segments after restore
            log.warning("bed record skipped", error=str(exc), offset=record.offset)
            return
        for rec in self.beds.apply(change):
            box.add(
                Output(self.ctx.topics.beds_metrics, rec.metric_id.encode(), rec, self.ctx.codecs.metrics)
            )
            try:
                self.beds.export(rec, self.ctx.metrics)
            except ValueError:  # a metric that cannot be set must never stop the bed accounting
                log.exception("bed metrics not exported", unit=rec.scope_id)
            self.ctx.counters.bump("bed_metrics")


class RejectionsStage:
    """Join sides → rejections that now know their patient, back to the events topic; the joins table."""

    def __init__(self, ctx: Context, joiner: RejectionJoiner, table: StagedTable) -> None:
        self.ctx = ctx
        self.joiner = joiner
        self.table = table

    def process(self, records: Sequence[Record]) -> Batch:
        """Fold a batch of one partition's join sides in."""
        return _run(records, self._one, self.ctx.topics.compacted, {"rejections": self.table})

    def _one(self, record: Record, box: Outbox) -> None:
        side: RejectionJoin = self.ctx.codecs.join.decode(record.value or b"")
        for joined in self.joiner.apply((record.key or b"").decode(), side):
            box.add(Output(self.ctx.topics.events, joined.key.encode(), joined, self.ctx.codecs.event))
            self.ctx.counters.bump("rejections_joined")


def _segments(state: PathwayState | None) -> dict[str, BedSegment]:
    return {} if state is None else state.segments
