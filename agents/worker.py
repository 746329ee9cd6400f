"""The stream worker: normalise → events → pathway (table) → avvik / pathway.state / bed changes → beds.

Agents only decode, call the pure core and produce. Processing is at-least-once with committed offsets; every
output has a deterministic key (avvik id, pseudonym, metric id), so redelivery and replay overwrite.

Agents run under a crashing supervisor: an exception an agent does not handle stops the worker (exit code 1,
the reason on the last line) instead of faust restarting the agent in a loop; at-least-once delivery makes
the restarted worker (by the demo, systemd or Kubernetes) carry on from the committed offsets.

Time: in ``live`` mode a leader timer sends a :class:`Tick` with the wall clock to every partition of the
ticks topic (co-partitioned with ``samhandling.events``), so deadlines of quiet partitions still fire, from
inside the stream (table writes need a stream context). In both modes each event also advances its
partition's engine to the partition's event-time watermark.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import faust
import structlog
from aiokafka.errors import KafkaError
from mode import CrashingSupervisor
from prometheus_client import CollectorRegistry

from agents.app import WorkerOptions, make_faust_app, new_metrics
from agents.bed_sync import BedSegmentRecord, capacity_record, restored_records, segment_records
from agents.beds import BedsProcessor
from agents.convert import avvik_record, pathway_record
from agents.engines import EngineSet, decode_state
from agents.internals import committed_offsets
from agents.normaliser import Normaliser
from agents.observe import PipelineObserver
from agents.ordering import OffsetGuard, Verdict
from agents.registry_wait import decoded, encoded
from agents.rejections import RejectionJoiner, link_for
from agents.web import is_ready, register_views
from hub.domain import (
    AvvikUpsert,
    BedDelta,
    BedSegment,
    CapacitySet,
    EngineConfig,
    PathwayChanged,
    PathwayState,
    RuleBook,
)
from hub.domain.effects import Effect
from hub.domain.facts import REJECTABLE
from hub.errors import SerdeError
from hub.events import Event, EventType, SourceKind
from hub.events.internal import RejectionJoin, Tick
from hub.events.outputs import AvvikRecord, AvvikStatus, BedMetricsRecord, PathwayStateRecord
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.masking import mask_digits
from hub.identity.sealing import Sealer
from hub.masterdata import load_masterdata
from hub.observability.metrics import HubMetrics
from hub.ops.lag import ConsumerLagCollector, KafkaOffsetProbe
from hub.serde import SingleObjectCodec, TopicCodec, codec_for
from hub.settings import HubSettings

log = structlog.get_logger(__name__)

RESEEK_S = 1.0
ACCEPT_GAP_AFTER_SEEKS = 5  # raw topics only; on the hub's own topics a gap is never real


@dataclass
class Worker:
    """A built worker: the faust app plus what tests and the demo want to look at."""

    app: faust.App
    settings: HubSettings
    options: WorkerOptions
    metrics: HubMetrics
    registry: CollectorRegistry
    engines: EngineSet
    counters: dict[str, int] = field(default_factory=dict)


def _source_kind(name: str) -> SourceKind:
    try:
        return SourceKind(name.upper().replace("HL7V2", "HL7V2"))
    except ValueError:
        return SourceKind.SIMULATOR if name == "simulator" else SourceKind.MANUAL


def build_worker(settings: HubSettings, options: WorkerOptions | None = None) -> Worker:  # noqa: PLR0915
    """Build the faust app with its topics, tables, agents, timer and web views."""
    options = options or WorkerOptions()
    topics = settings.topics
    app = make_faust_app(settings, options)
    metrics, registry = new_metrics()
    masterdata = load_masterdata(settings.masterdata_dir)
    engines_config = EngineConfig(allowed_lateness=timedelta(seconds=settings.allowed_lateness_s))
    rules = RuleBook.from_masterdata(masterdata)

    raw_names = [topics.raw_hl7v2, topics.raw_fhir, topics.raw_plo, topics.raw_ambulance, topics.raw_kpr]
    # consumer lag per partition on /metrics, read from Kafka at scrape time (at most every 10 s)
    registry.register(
        ConsumerLagCollector(KafkaOffsetProbe(settings), options.app_id, [topics.events, *raw_names])
    )
    ticks_name = f"{options.app_id}.internal.ticks"
    beds_name = f"{options.app_id}.internal.beds"

    def t(*names: str, **kw: Any) -> faust.TopicT:
        return app.topic(*names, key_type=bytes, value_type=bytes, **kw)

    raw_channel = t(*raw_names)
    events_channel = t(topics.events)
    pathway_channel = t(topics.events, ticks_name)
    ticks_topic = t(ticks_name, partitions=topics.partitions, internal=True)
    beds_topic = t(beds_name, partitions=topics.partitions, internal=True)
    avvik_topic = t(topics.avvik)
    state_topic = t(topics.pathway_state)
    metrics_topic = t(topics.beds_metrics)
    dlq_topic = t(topics.dlq)

    pathway_table = app.Table(
        "pathway", default=None, key_type=bytes, value_type=bytes, partitions=topics.partitions
    )
    beds_table = app.Table(
        "beds", default=None, key_type=bytes, value_type=bytes, partitions=topics.partitions
    )
    joins_name = f"{options.app_id}.internal.rejections"
    app.strict_topics = frozenset({topics.events, ticks_name, beds_name, joins_name})
    joins_topic = t(joins_name, partitions=topics.partitions, internal=True)
    joins_table = app.Table(
        "rejections", default=None, key_type=bytes, value_type=bytes, partitions=topics.partitions
    )

    raw_codec: TopicCodec[RawMessage] = codec_for(settings, RawMessage, topics.raw_hl7v2)
    event_codec: TopicCodec[Event] = codec_for(settings, Event, topics.events)
    dlq_codec: TopicCodec[DeadLetterRecord] = codec_for(settings, DeadLetterRecord, topics.dlq)
    avvik_codec: TopicCodec[AvvikRecord] = codec_for(settings, AvvikRecord, topics.avvik)
    state_codec: TopicCodec[PathwayStateRecord] = codec_for(
        settings, PathwayStateRecord, topics.pathway_state
    )
    metrics_codec: TopicCodec[BedMetricsRecord] = codec_for(settings, BedMetricsRecord, topics.beds_metrics)
    tick_codec = SingleObjectCodec(Tick)
    bed_codec = SingleObjectCodec(BedSegmentRecord)
    join_codec = SingleObjectCodec(RejectionJoin)
    joiner = RejectionJoiner(joins_table)

    pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym)
    sealer = Sealer.from_settings(settings.pseudonym)
    normaliser = Normaliser(raw_codec, pseudonymiser, sealer)
    engines = EngineSet(masterdata, pathway_table, engines_config, rules)
    beds = BedsProcessor(masterdata, beds_table)
    observer = PipelineObserver(metrics, masterdata)
    worker = Worker(app, settings, options, metrics, registry, engines)
    counters = worker.counters
    watermarks: dict[int, datetime] = {}
    guard = OffsetGuard()
    reseeking: dict[Any, asyncio.Future[None]] = {}

    def bump(name: str, n: int = 1) -> None:
        counters[name] = counters.get(name, 0) + n

    @app.on_partitions_assigned.connect
    def _assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        engines.invalidate()
        beds.invalidate()
        guard.reset()
        for task in list(reseeking.values()):
            task.cancel()

    @app.on_partitions_revoked.connect
    def _revoked(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        engines.invalidate()
        beds.invalidate()
        guard.reset()
        for task in list(reseeking.values()):
            task.cancel()

    async def dead_letter(event: faust.EventT[bytes], record: DeadLetterRecord) -> None:
        await event.send(
            dlq_topic,
            key=(record.message_id or record.payload_sha256).encode(),
            value=await encoded(dlq_codec, record),
        )
        metrics.dead_lettered(_source_kind(record.source), record.code)
        bump("dlq")

    @app.agent(raw_channel, name="normalise", supervisor_strategy=CrashingSupervisor)
    async def normalise(stream: faust.StreamT[bytes]) -> None:
        async for event in in_offset_order(stream, set(raw_names)):
            started = time.perf_counter()
            topic = event.message.topic
            metrics.message_consumed(topic)
            result = normaliser.normalise(event.value, topic=topic, now=datetime.now(UTC))
            if result.dead_letter is not None:
                await dead_letter(event, result.dead_letter)
                continue
            for ev in result.events:
                await event.send(events_channel, key=ev.key.encode(), value=await encoded(event_codec, ev))
            metrics.message_produced(topics.events, len(result.events))
            metrics.observe_processing(topic, time.perf_counter() - started)
            bump("normalised", len(result.events))

    async def send_beds(event: faust.EventT[bytes], records: list[BedSegmentRecord]) -> None:
        for rec in records:
            await event.send(beds_topic, key=rec.unit_id.encode(), value=bed_codec.encode(rec))
        bump("bed_changes", len(records))

    async def publish(
        event: faust.EventT[bytes], effects: list[Effect], partition: int, *, count: bool = True
    ) -> None:
        """Send effects to their topics; ``count=False`` for re-emitted outputs (no counter increments).

        Bed deltas only say which segments changed: each changed segment is sent as it is now
        (:mod:`agents.bed_sync`), and the patient's table value remembers the withdrawals among them.
        """
        store = engines.store(partition)
        deltas = [effect for effect in effects if isinstance(effect, BedDelta)]
        if deltas:
            records, gone = segment_records(deltas, lambda p: _segments(store.get(p)))
            for pseudonym, places in gone.items():
                store.note_withdrawals(pseudonym, places)
            await send_beds(event, records)
        for effect in effects:
            if isinstance(effect, AvvikUpsert):
                rec = avvik_record(effect.record)
                value = await encoded(avvik_codec, rec)
                await event.send(avvik_topic, key=rec.avvik_id.encode(), value=value)
                observer.on_avvik(rec)
                hf = rec.helsefellesskap or "unknown"
                if not count:
                    pass
                elif rec.status is AvvikStatus.OPEN:
                    metrics.avvik_was_opened(rec.code, hf)
                elif rec.status is AvvikStatus.RESOLVED:
                    metrics.avvik_was_resolved(rec.code, hf)
                else:
                    metrics.avvik_was_retracted(rec.code, hf)
                bump("avvik")
            elif isinstance(effect, PathwayChanged):
                if effect.summary is None:
                    await event.send(state_topic, key=effect.pseudonym.encode(), value=None)
                    observer.on_state(None, effect.pseudonym)
                else:
                    srec = pathway_record(effect.summary)
                    value = await encoded(state_codec, srec)
                    await event.send(state_topic, key=srec.pseudonym.encode(), value=value)
                    observer.on_state(srec, srec.pseudonym)
                bump("states")
            elif isinstance(effect, CapacitySet):
                await send_beds(event, [capacity_record(effect)])

    async def in_order(stream: faust.StreamT[bytes], event: faust.EventT[bytes]) -> bool:
        """True to process ``event`` now (see :mod:`agents.ordering`). A repeat is acked and skipped; a record
        beyond a gap is skipped unacked (so the commit cannot pass the gap) after seeking back to the gap."""
        message = event.message
        tp = message.tp
        if not guard.started(tp):
            guard.begin(tp, _committed_offset(app, tp))
        verdict = guard.check(tp, message.offset)
        if verdict is Verdict.PROCESS:
            if (gap := guard.take_accepted_gap(tp)) is not None:
                await app.ack_gap(tp, *gap)
            return True
        if verdict is Verdict.REPEAT:
            await stream.ack(event)
        elif verdict is Verdict.SEEK:
            expected = guard.expected(tp)
            log.warning(
                "stream.out_of_order",
                topic=tp.topic,
                partition=tp.partition,
                offset=message.offset,
                expected=expected,
                action="seek back",
            )
            bump("stream_gaps")
            if expected is not None:
                await app.consumer.seek(tp, expected)
                if tp not in reseeking:
                    reseeking[tp] = asyncio.ensure_future(seek_until_delivered(tp))
        return False

    async def seek_until_delivered(tp: Any) -> None:
        """Seek ``tp`` back again each second until the missing record arrives: records fetched before a
        seek move faust's read offset past the seek target, and faust then drops the re-fetched records."""
        seeks = 1
        try:
            while True:
                await asyncio.sleep(RESEEK_S)
                expected = guard.expected(tp)
                if not guard.is_seeking(tp) or expected is None:
                    return
                if tp.topic not in app.strict_topics and seeks >= ACCEPT_GAP_AFTER_SEEKS:
                    # a topic outside producers write: transaction markers leave offsets nobody gets
                    log.warning("stream.gap_accepted", topic=tp.topic, partition=tp.partition, first=expected)
                    guard.accept_gap(tp)
                    return
                log.info("stream.seek_again", topic=tp.topic, partition=tp.partition, expected=expected)
                await app.consumer.seek(tp, expected)
                seeks += 1
        finally:
            reseeking.pop(tp, None)

    async def on_pathway_event(event: faust.EventT[bytes]) -> None:
        started = time.perf_counter()
        message = event.message
        engine = engines.engine(message.partition)
        restored = engines.take_restored(message.partition)
        if restored:  # after a restart the table may be ahead of the outputs: re-emit them (idempotent)
            store = engines.store(message.partition)
            for pseudonym in restored:
                await publish(event, engine.snapshot(pseudonym), message.partition, count=False)
                segments = _segments(store.get(pseudonym))
                await send_beds(event, restored_records(segments, store.withdrawals(pseudonym)))
            log.info("outputs re-emitted after restore", partition=message.partition, patients=len(restored))
        if message.topic == ticks_name:
            await publish(event, engine.advance(tick_codec.decode(event.value).now), message.partition)
            return
        metrics.message_consumed(message.topic)
        try:
            ev = await decoded(event_codec, event.value)
        except SerdeError as exc:
            await dead_letter(event, _pathway_dead_letter(sealer, event.value, str(exc)))
            return
        observer.on_event(ev)
        if ev.event_type is EventType.MESSAGE_REJECTED and ev.patient is None:
            side = RejectionJoin(rejection=ev.model_dump_json())
            await event.send(joins_topic, key=ev.key.encode(), value=join_codec.encode(side))
            return
        if ev.event_type in REJECTABLE and (link := link_for(ev)) is not None:
            side = RejectionJoin(link=link)
            await event.send(joins_topic, key=link.message_id.encode(), value=join_codec.encode(side))
        try:
            effects = engine.apply(ev)
        except Exception as exc:  # a poison event must not stall its partition: dead-letter it
            log.exception("core failed on an event", event_id=ev.event_id, event_type=ev.event_type)
            reason = f"internal error {type(exc).__name__}: {exc} (event {ev.event_id})"
            await dead_letter(event, _pathway_dead_letter(sealer, event.value, reason, code="internal"))
            return
        mark = watermarks.get(message.partition)
        if mark is None or ev.occurred_at > mark:
            watermarks[message.partition] = mark = ev.occurred_at
        effects += engine.advance(mark)
        bump("events")
        metrics.observe_processing(message.topic, time.perf_counter() - started)
        await publish(event, effects, message.partition)

    async def in_offset_order(
        stream: faust.StreamT[bytes], guarded: set[str]
    ) -> AsyncIterator[faust.EventT[bytes]]:
        """The stream's events, those of ``guarded`` topics in offset order; each is acked once the loop body
        that got it is done (manual acks: a record skipped for being out of order must not be acked)."""
        manual: faust.StreamT[bytes] = cast(Any, stream).noack()
        async for event in manual.events():
            if event.message.topic in guarded and not await in_order(manual, event):
                continue
            yield event
            await manual.ack(event)

    @app.agent(pathway_channel, name="pathway", supervisor_strategy=CrashingSupervisor)
    async def pathway(stream: faust.StreamT[bytes]) -> None:
        async for event in in_offset_order(stream, {topics.events, ticks_name}):
            await on_pathway_event(event)

    @app.agent(beds_topic, name="beds", supervisor_strategy=CrashingSupervisor)
    async def beds_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in in_offset_order(stream, {beds_name}):
            try:
                change = bed_codec.decode(event.value)
            except SerdeError as exc:  # a bed delta of an older version: re-sent as segments after restore
                log.warning("bed record skipped", error=str(exc), offset=event.message.offset)
                continue
            for rec in beds.apply(change):
                value = await encoded(metrics_codec, rec)
                await event.send(metrics_topic, key=rec.metric_id.encode(), value=value)
                try:
                    beds.export(rec, metrics)
                except ValueError:  # a metric that cannot be set must never stop the bed accounting
                    log.exception("bed metrics not exported", unit=rec.scope_id)
                bump("bed_metrics")

    @app.agent(joins_topic, name="rejections", supervisor_strategy=CrashingSupervisor)
    async def rejections(stream: faust.StreamT[bytes]) -> None:
        async for event in in_offset_order(stream, {joins_name}):
            side = join_codec.decode(event.value)
            message_id = (event.key or b"").decode()
            for joined in joiner.apply(message_id, side):
                value = await encoded(event_codec, joined)
                await event.send(events_channel, key=joined.key.encode(), value=value)
                bump("rejections_joined")

    if options.live:

        @app.timer(interval=options.tick_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
        async def tick() -> None:
            value = tick_codec.encode(Tick(now=datetime.now(UTC)))
            try:
                for partition in range(topics.partitions):
                    await ticks_topic.send(key=b"tick", value=value, partition=partition)
            except (AssertionError, KafkaError) as exc:  # a missing partition must not crash the worker
                log.exception("tick not sent", error=str(exc), topic=ticks_name)

    async def read_pathway(pseudonym: str) -> dict[str, Any] | None:
        raw = pathway_table.get(pseudonym.encode())
        if raw is None:
            return None
        _, state = decode_state(raw)
        return state.to_dict()

    register_views(app, settings, registry, read_pathway, metrics.set_worker_ready)
    _ = (normalise, pathway, beds_agent, rejections, is_ready)
    return worker


def _committed_offset(app: faust.App, tp: Any) -> int | None:
    """The committed offset faust sought ``tp`` to after the last assignment, if it knows one.

    faust keeps it in a private mapping (None before the first commit), checked at start-up by
    :mod:`agents.internals`.
    """
    offset = committed_offsets(app.consumer).get(tp)
    return offset if isinstance(offset, int) else None


def _segments(state: PathwayState | None) -> dict[str, BedSegment]:
    return {} if state is None else state.segments


def _pathway_dead_letter(sealer: Sealer, data: bytes, reason: str, code: str = "serde") -> DeadLetterRecord:
    return DeadLetterRecord(
        source="events",
        stage="pathway",
        code=code,
        reason=mask_digits(reason),
        received_at=datetime.now(UTC),
        payload_sha256=sealer.digest(data),
        sealed_payload=sealer.seal(data),
        key_id=sealer.active_key_id,
    )
