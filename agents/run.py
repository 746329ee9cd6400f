"""Run a built worker in the foreground (faust's Worker service: signals, web server, clean shutdown)."""

from __future__ import annotations

import sys

import faust.worker

from agents.app import WorkerOptions
from agents.startup import one_line, prepare_worker
from hub.settings import HubSettings


def run_worker(settings: HubSettings, options: WorkerOptions) -> None:
    """Prepare the broker and local state (:mod:`agents.startup`), then run the worker until stopped.

    Raises :class:`agents.startup.WorkerStartError` (one line) when it cannot start. When faust stops on
    an error after the start, the last line of the output says why and the exit code is 1.
    """
    built = prepare_worker(settings, options)
    runner = faust.worker.Worker(
        built.app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    try:
        runner.execute_from_commandline()
    except SystemExit as exc:
        if exc.code not in (0, None):
            reason = built.app.crash_reason or runner.crash_reason
            why = f"{type(reason).__name__}: {reason}" if reason is not None else f"exit code {exc.code}"
            print(one_line(f"worker stopped: {why}"), file=sys.stderr, flush=True)  # noqa: T201
        raise
