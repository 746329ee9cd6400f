"""The faust driver's broker-free parts: the normaliser runs off the event loop; a registry outage waits."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from agents import driver as driver_module
from agents.driver import Driver
from agents.processor import Batch, Counters, Record, RegistryUnavailable

RECORD = Record("samhandling.raw.plo", 0, 0, b"k", b"<xml/>")


def _driver() -> Driver:
    app: Any = object()
    return Driver(app, {}, {}, Counters())


async def test_an_offloaded_processor_runs_in_a_thread_and_the_loop_stays_free() -> None:
    """A slow parse must not freeze the worker's event loop (heartbeats, /healthz)."""
    seen: list[str] = []

    def slow(records: Sequence[Record]) -> Batch:
        seen.append(threading.current_thread().name)
        time.sleep(0.3)
        return Batch(done=len(records))

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.ensure_future(ticker())
    try:
        batch = await _driver()._processed(slow, [RECORD], offload=True)
    finally:
        task.cancel()
    assert batch.done == 1
    assert seen != [threading.main_thread().name]
    assert ticks >= 5, "the event loop was blocked while the record was parsed"


async def test_a_registry_outage_is_waited_out_and_the_same_records_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(driver_module, "FIRST_WAIT_S", 0.01)
    calls: list[int] = []

    def flaky(records: Sequence[Record]) -> Batch:
        calls.append(len(records))
        if len(calls) < 3:
            raise RegistryUnavailable("registry down")
        return Batch(done=len(records))

    batch = await _driver()._processed(flaky, [RECORD, RECORD], offload=False)
    assert calls == [2, 2, 2]
    assert batch.done == 2
