"""Run a built worker in the foreground (faust's Worker service: signals, web server, clean shutdown)."""

from __future__ import annotations

import faust.worker

from agents.app import WorkerOptions
from agents.worker import build_worker
from hub.kafka.topics import ensure_topics, internal_specs, partitions_of
from hub.settings import HubSettings


def run_worker(settings: HubSettings, options: WorkerOptions) -> None:
    """Create missing topics, build the worker and run it until stopped.

    Internal topics get the partition count the events topic really has (it may predate a change of
    ``HUB_TOPICS__PARTITIONS``): the pathway agent reads events and ticks co-partitioned.
    """
    ensure_topics(settings)
    partitions = partitions_of(settings, settings.topics.events) or settings.topics.partitions
    if partitions != settings.topics.partitions:
        settings = settings.model_copy(
            update={"topics": settings.topics.model_copy(update={"partitions": partitions})}
        )
    ensure_topics(settings, internal_specs(options.app_id, partitions))
    built = build_worker(settings, options)
    runner = faust.worker.Worker(
        built.app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    runner.execute_from_commandline()
