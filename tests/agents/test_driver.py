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


async def test_progress_names_the_step_an_agent_is_stuck_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose send never leaves says so in its ``worker.progress`` log: agent, step, record, time."""
    from types import SimpleNamespace

    from agents.processor import Outbox, Output

    message = SimpleNamespace(topic="t.events", partition=2, offset=41, key=b"k", value=b"v", headers={})
    driver = _driver()
    stuck = asyncio.Event()

    async def one_event(_stream: object, _guarded: object) -> Any:
        yield SimpleNamespace(message=message)

    async def never_sent(_event: object, _batch: Batch) -> None:
        await stuck.wait()

    monkeypatch.setattr(driver, "_in_offset_order", one_event)
    monkeypatch.setattr(driver, "_deliver", never_sent)

    def process(records: Sequence[Record]) -> Batch:
        box = Outbox(frozenset())
        box.add(Output("t.avvik", b"a", None, None))
        box.add(Output("t.state", b"s", None, None))
        return Batch(box.outputs(), {}, len(records))

    assert driver.progress() == {}
    task = asyncio.ensure_future(driver.drive(object(), process, set(), name="pathway"))  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    assert driver.progress() == {"pathway": "sending 2 outputs of t.events[2]@41 for 0 s"}
    stuck.set()
    await task
    assert driver.progress() == {"pathway": "waiting for a record for 0 s"}
