"""The four partition processors of one worker, wired to each other and to their tables (no faust).

:func:`build_pipeline` is what :func:`agents.worker.build_worker` declares faust around, and what broker-free
tests drive directly with dict tables (:class:`agents.engines.DictTable`), record by record or in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from agents.bed_sync import BedSegmentRecord
from agents.beds import BedsProcessor
from agents.engines import EngineSet, KeyValueTable
from agents.normaliser import Normaliser
from agents.observe import PipelineObserver
from agents.processor import (
    BedsStage,
    Codecs,
    Context,
    Counters,
    DeadLetters,
    NormaliseProcessor,
    PathwayProcessor,
    RejectionsStage,
    StagedTable,
    Topics,
)
from agents.rejections import RejectionJoiner
from hub.domain import EngineConfig, RuleBook
from hub.events import Event
from hub.events.internal import RejectionJoin, Tick
from hub.events.outputs import AvvikRecord, BedMetricsRecord, PathwayStateRecord
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.sealing import Sealer
from hub.masterdata.model import MasterData
from hub.observability.metrics import HubMetrics
from hub.serde import SingleObjectCodec, codec_for
from hub.settings import HubSettings

TABLES = ("pathway", "beds", "rejections")
"""The worker's tables, by name."""


@dataclass
class Pipeline:
    """The processors and the state they share."""

    topics: Topics
    codecs: Codecs
    normalise: NormaliseProcessor
    pathway: PathwayProcessor
    beds: BedsStage
    rejections: RejectionsStage
    engines: EngineSet
    counters: Counters

    def invalidate(self) -> None:
        """Partitions were assigned or revoked: engines and bed ledgers reload from the tables."""
        self.engines.invalidate()
        self.beds.beds.invalidate()


def pipeline_topics(settings: HubSettings, app_id: str) -> Topics:
    """The topic names of a worker with ``app_id`` (internal topics are prefixed by it)."""
    topics = settings.topics
    return Topics(
        events=topics.events,
        avvik=topics.avvik,
        pathway_state=topics.pathway_state,
        beds_metrics=topics.beds_metrics,
        dlq=topics.dlq,
        ticks=f"{app_id}.internal.ticks",
        beds=f"{app_id}.internal.beds",
        joins=f"{app_id}.internal.rejections",
    )


def pipeline_codecs(settings: HubSettings) -> Codecs:
    """The codecs of every record the processors read or write, under ``settings``."""
    topics = settings.topics
    return Codecs(
        raw=codec_for(settings, RawMessage, topics.raw_hl7v2),
        event=codec_for(settings, Event, topics.events),
        dlq=codec_for(settings, DeadLetterRecord, topics.dlq),
        avvik=codec_for(settings, AvvikRecord, topics.avvik),
        state=codec_for(settings, PathwayStateRecord, topics.pathway_state),
        metrics=codec_for(settings, BedMetricsRecord, topics.beds_metrics),
        tick=SingleObjectCodec(Tick),
        bed=SingleObjectCodec(BedSegmentRecord),
        join=SingleObjectCodec(RejectionJoin),
    )


def build_pipeline(
    settings: HubSettings,
    masterdata: MasterData,
    metrics: HubMetrics,
    tables: Mapping[str, KeyValueTable],
    *,
    app_id: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    per_batch: bool = False,
) -> Pipeline:
    """The processors over ``tables`` (one per name in :data:`TABLES`); ``per_batch``: see
    :attr:`PathwayProcessor.per_batch`."""
    names = pipeline_topics(settings, app_id)
    codecs = pipeline_codecs(settings)
    sealer = Sealer.from_settings(settings.pseudonym)
    counters = Counters()
    dead = DeadLetters(names.dlq, codecs.dlq, sealer, metrics, counters)
    ctx = Context(names, codecs, dead, metrics, counters)
    staged = {name: StagedTable(tables[name]) for name in TABLES}
    config = EngineConfig(allowed_lateness=timedelta(seconds=settings.allowed_lateness_s))
    engines = EngineSet(masterdata, staged["pathway"], config, RuleBook.from_masterdata(masterdata))
    normaliser = Normaliser(cast(Any, codecs.raw), Pseudonymiser.from_settings(settings.pseudonym), sealer)
    return Pipeline(
        topics=names,
        codecs=codecs,
        normalise=NormaliseProcessor(ctx, normaliser, clock),
        pathway=PathwayProcessor(
            ctx, engines, staged["pathway"], PipelineObserver(metrics, masterdata), per_batch=per_batch
        ),
        beds=BedsStage(ctx, BedsProcessor(masterdata, staged["beds"]), staged["beds"]),
        rejections=RejectionsStage(ctx, RejectionJoiner(staged["rejections"]), staged["rejections"]),
        engines=engines,
        counters=counters,
    )
