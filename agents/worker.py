"""The stream worker, declared: topics, tables, four agents, the tick timer and the web views.

normalise (raw topics → ``samhandling.events``) → pathway (events and ticks → avvik, pathway states, bed
segments, rejection join sides; the pathway table) → beds (bed segments → bed metrics; the beds table) and
rejections (join sides → completed rejections back to the events topic; the joins table). What each agent
does is a faust-free partition processor (:mod:`agents.processor`); :class:`agents.driver.Driver` feeds
them in offset order, writes the tables, sends the outputs and acks. Processing is at-least-once; every
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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import faust
import structlog
from aiokafka.errors import KafkaError
from mode import CrashingSupervisor
from prometheus_client import CollectorRegistry

from agents.app import WorkerOptions, make_faust_app, new_metrics
from agents.driver import Driver
from agents.engines import EVENTS_INPUT, TICKS_INPUT, Committed, EngineSet, KeyValueTable, decode_state
from agents.local_state import group_committed
from agents.pipeline import TABLES, build_pipeline, pipeline_topics
from agents.web import is_ready, register_views
from hub.errors import InfraError
from hub.events.internal import Tick
from hub.masterdata import load_masterdata
from hub.observability.metrics import HubMetrics
from hub.ops.lag import ConsumerLagCollector, KafkaOffsetProbe
from hub.settings import HubSettings

log = structlog.get_logger(__name__)


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
    driver: Driver | None = None


def build_worker(settings: HubSettings, options: WorkerOptions | None = None) -> Worker:
    """Declare the faust app's topics, tables, agents, timer and web views around the processors."""
    options = options or WorkerOptions()
    topics = settings.topics
    app = make_faust_app(settings, options)
    metrics, registry = new_metrics()
    raw_names = [topics.raw_hl7v2, topics.raw_fhir, topics.raw_plo, topics.raw_ambulance, topics.raw_kpr]
    # consumer lag per partition on /metrics, read from Kafka at scrape time (at most every 10 s)
    registry.register(
        ConsumerLagCollector(KafkaOffsetProbe(settings), options.app_id, [topics.events, *raw_names])
    )
    names = pipeline_topics(settings, options.app_id)

    def t(*topic_names: str, **kw: Any) -> faust.TopicT:
        return app.topic(*topic_names, key_type=bytes, value_type=bytes, **kw)

    def internal(name: str) -> faust.TopicT:
        return t(name, partitions=topics.partitions, internal=True)

    def table(name: str) -> KeyValueTable:
        made = app.Table(name, default=None, key_type=bytes, value_type=bytes, partitions=topics.partitions)
        return cast(KeyValueTable, made)

    app.strict_topics = frozenset({names.events, names.ticks, names.beds, names.joins})
    ticks_topic = internal(names.ticks)
    sinks: dict[str, faust.TopicT] = {
        names.events: t(names.events),
        names.avvik: t(names.avvik),
        names.pathway_state: t(names.pathway_state),
        names.beds_metrics: t(names.beds_metrics),
        names.dlq: t(names.dlq),
        names.beds: internal(names.beds),
        names.joins: internal(names.joins),
    }
    tables = {name: table(name) for name in TABLES}
    masterdata = load_masterdata(settings.masterdata_dir)
    pipe = build_pipeline(settings, masterdata, metrics, tables, app_id=options.app_id)
    pipe.engines.committed = _committed_offsets(settings, app.conf.id, names.events, names.ticks)
    driver = Driver(app, sinks, tables, pipe.counters)
    app.gap_listener = driver.gap_refused
    worker = Worker(app, settings, options, metrics, registry, pipe.engines, pipe.counters.values, driver)

    def reset(sender: Any, /, *args: Any, **kwargs: Any) -> None:
        pipe.invalidate()
        driver.reset()

    app.on_partitions_assigned.connect(reset)
    app.on_partitions_revoked.connect(reset)

    @app.agent(t(*raw_names), name="normalise", supervisor_strategy=CrashingSupervisor)
    async def normalise(stream: faust.StreamT[bytes]) -> None:
        await driver.drive(stream, pipe.normalise.process, set(raw_names), offload=True, name="normalise")

    @app.agent(t(names.events, names.ticks), name="pathway", supervisor_strategy=CrashingSupervisor)
    async def pathway(stream: faust.StreamT[bytes]) -> None:
        await driver.drive(stream, pipe.pathway.process, {names.events, names.ticks}, name="pathway")

    @app.agent(sinks[names.beds], name="beds", supervisor_strategy=CrashingSupervisor)
    async def beds_agent(stream: faust.StreamT[bytes]) -> None:
        await driver.drive(stream, pipe.beds.process, {names.beds}, name="beds")

    @app.agent(sinks[names.joins], name="rejections", supervisor_strategy=CrashingSupervisor)
    async def rejections(stream: faust.StreamT[bytes]) -> None:
        await driver.drive(stream, pipe.rejections.process, {names.joins}, name="rejections")

    if options.live:

        @app.timer(interval=options.tick_interval_s, on_leader=True)  # type: ignore[untyped-decorator]
        async def tick() -> None:
            value = pipe.codecs.tick.encode(Tick(now=datetime.now(UTC)))
            try:
                for partition in range(topics.partitions):
                    await ticks_topic.send(key=b"tick", value=value, partition=partition)
            except (AssertionError, KafkaError) as exc:  # a missing partition must not crash the worker
                log.exception("tick not sent", error=str(exc), topic=names.ticks)

    @app.timer(interval=options.progress_interval_s)  # type: ignore[untyped-decorator]
    async def progress() -> None:
        # what every agent is doing and since when, the producer buffer and the counters: a worker that
        # stopped making progress (a stalled partition, a send that never leaves) shows in its log
        log.info(
            "worker.progress",
            agents=driver.progress(),
            unsent=app.unsent(),
            **pipe.counters.values,
        )

    async def read_pathway(pseudonym: str) -> dict[str, Any] | None:
        raw = tables["pathway"].get(pseudonym.encode())
        if raw is None:
            return None
        _, state = decode_state(raw)
        return state.to_dict()

    register_views(app, settings, registry, read_pathway, metrics.set_worker_ready)
    _ = (normalise, pathway, beds_agent, rejections, progress, is_ready)
    return worker


def _committed_offsets(settings: HubSettings, group: str, events: str, ticks: str) -> Committed:
    """The group's committed offsets of the pathway agent's inputs, from the broker (a rebuild asks once; it
    blocks the loop as briefly as the table scan it follows). If the broker does not answer, none: every
    restored patient is re-emitted, as safe as before."""
    codes = {events: EVENTS_INPUT, ticks: TICKS_INPUT}

    def committed(partitions: Sequence[int]) -> dict[tuple[int, int], int]:
        wanted = [(topic, p) for p in partitions for topic in codes]
        try:
            found = group_committed(settings, group, wanted)
        except InfraError as exc:
            log.warning("committed offsets unknown: every restored patient is re-emitted", error=str(exc))
            return {}
        return {(codes[topic], p): offset for (topic, p), offset in found.items()}

    return committed
