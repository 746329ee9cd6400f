"""Run a built worker in the foreground (faust's Worker service: signals, web server, clean shutdown)."""

from __future__ import annotations

import faust.worker

from agents.app import WorkerOptions
from agents.worker import build_worker
from hub.kafka.topics import ensure_topics
from hub.settings import HubSettings


def run_worker(settings: HubSettings, options: WorkerOptions) -> None:
    """Create missing topics, build the worker and run it until stopped."""
    ensure_topics(settings)
    built = build_worker(settings, options)
    runner = faust.worker.Worker(
        built.app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    runner.execute_from_commandline()
