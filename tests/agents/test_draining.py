"""The draining producer buffer: a flush before a commit must not leave changelog records behind."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.producer import ProducerBuffer

from agents.draining import DrainingProducerBuffer

SLOW_SEND_S = 0.25  # longer than the 0.1 s after which faust's own flush gives up


def _slow(cls: type[ProducerBuffer]) -> Any:
    class Slow(cls):  # type: ignore[misc,valid-type]
        sent: list[object]

        async def _publish(self, fut: Any) -> None:
            await asyncio.sleep(SLOW_SEND_S)  # a busy event loop / slow broker
            self.sent.append(fut)

    buffer = Slow()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    buffer.sent = []
    return buffer


def _message(buffer: Any) -> Any:
    """A stand-in for a FutureMessage: ``_send_pending`` calls ``fut.message.channel.publish_message``."""
    message: Any = SimpleNamespace()

    async def publish_message(fut: Any, wait: bool = False) -> None:
        await buffer._publish(fut)

    message.message = SimpleNamespace(channel=SimpleNamespace(publish_message=publish_message))
    return message


async def _discard_and_stop(buffer: Any) -> None:
    """Stop without flushing what the test left behind."""
    buffer.pending = asyncio.Queue()
    buffer.handed_on = getattr(buffer, "enqueued", 0)
    await buffer.stop()


async def _flush_three(cls: type[ProducerBuffer]) -> tuple[int, int]:
    buffer = _slow(cls)
    await buffer.start()
    try:
        for _ in range(3):
            buffer.put(_message(buffer))
        await buffer.flush()
        return buffer.size, len(buffer.sent)
    finally:
        await _discard_and_stop(buffer)


async def test_flush_waits_until_every_buffered_message_was_sent() -> None:
    left, sent = await _flush_three(DrainingProducerBuffer)
    assert (left, sent) == (0, 3)


async def test_flush_is_a_barrier_not_a_wait_for_an_empty_buffer() -> None:
    """Messages put while a flush waits (agents keep writing) must not keep the flush (the commit) waiting."""
    buffer = _slow(DrainingProducerBuffer)
    await buffer.start()
    keep_putting = True

    async def agent() -> None:
        while keep_putting:
            buffer.put(_message(buffer))
            await asyncio.sleep(SLOW_SEND_S / 5)  # faster than the buffer drains

    try:
        for _ in range(3):
            buffer.put(_message(buffer))
        writer = asyncio.create_task(agent())
        await asyncio.wait_for(buffer.flush(), timeout=10 * SLOW_SEND_S)
        assert len(buffer.sent) >= 3
        assert buffer.size > 0  # the buffer never emptied, and the flush still returned
        keep_putting = False
        await writer
    finally:
        await _discard_and_stop(buffer)


async def test_a_send_that_raised_is_not_counted_as_handed_on() -> None:
    """A message whose send raised never reached the driver: the flush before a commit must fail, not return
    as if the changelog record were on its way."""

    class Failing(DrainingProducerBuffer):
        async def _publish(self, fut: Any) -> None:
            raise ConnectionError("broker gone")

    buffer: Any = Failing()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))
    await buffer.start()
    try:
        buffer.put(_message(buffer))
        with pytest.raises(RuntimeError, match="not handed on"):
            await asyncio.wait_for(buffer.flush(), timeout=5)
        assert buffer.handed_on == 0
    finally:
        await _discard_and_stop(buffer)


async def test_faust_buffer_alone_returns_with_messages_still_buffered() -> None:
    """Why the draining buffer exists: if this starts failing, faust fixed its flush and ours can go."""
    left, sent = await _flush_three(ProducerBuffer)
    assert left > 0
    assert sent < 3


async def test_flush_of_a_stopped_buffer_with_messages_is_an_error() -> None:
    buffer = _slow(DrainingProducerBuffer)
    buffer.put(_message(buffer))
    with pytest.raises(RuntimeError, match="cannot flush"):
        await buffer.flush()


async def test_the_hub_app_produces_through_the_draining_buffer(tmp_path: Any) -> None:
    from agents.app import WorkerOptions, make_faust_app
    from hub.settings import HubSettings

    app = make_faust_app(HubSettings(data_dir=tmp_path), WorkerOptions(app_id="draining-probe"))
    assert isinstance(app.producer.buffer, DrainingProducerBuffer)
    assert app.producer.buffer.app is app
