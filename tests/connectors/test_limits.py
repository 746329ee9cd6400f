"""Connector limits: MLLP connection cap, idle and read timeouts; HTTP body sizes aligned with Kafka's record
size; parsing off the event loop with a time bound."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor, IngestResult
from connectors.common.sink import MemorySink
from connectors.formats import Accepted, MappingContext
from connectors.hl7v2.format import FORMAT as HL7
from connectors.hl7v2.mllp import VT
from connectors.hl7v2.server import MllpServer
from hub.events.transport import MAX_RECORD_BYTES
from hub.settings import HubSettings
from tests.connectors.hl7v2 import hl7_samples as hs


class NoIngest:
    """An ingest port that is never reached in these tests."""

    async def ingest(self, payload: bytes, *, system: str | None = None) -> IngestResult:
        raise AssertionError("not expected")


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(100), seconds) == b""
    except TimeoutError:
        return False


async def test_mllp_connection_cap() -> None:
    """Beyond ``max_connections`` a new connection is closed at once; the open ones stay."""
    server = MllpServer(NoIngest(), port=0, max_connections=2)
    await server.start()
    try:
        conns = [await asyncio.open_connection("127.0.0.1", server.bound_port) for _ in range(2)]
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        assert await _closed_within(reader, 2.0)
        assert server.refused_connections == 1
        assert not await _closed_within(conns[0][0], 0.2)
        for _, w in [*conns, (reader, writer)]:
            w.close()
    finally:
        await server.close()


async def test_mllp_idle_connection_closed() -> None:
    """A connection that sends nothing is closed after the idle timeout."""
    server = MllpServer(NoIngest(), port=0, idle_timeout_s=0.3)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        assert await _closed_within(reader, 3.0)
        writer.close()
    finally:
        await server.close()


async def test_mllp_trickled_block_closed_after_read_timeout() -> None:
    """A sender trickling one byte at a time cannot hold a connection: a block must arrive in time."""
    server = MllpServer(NoIngest(), port=0, idle_timeout_s=30, read_timeout_s=0.5)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
        writer.write(VT + b"MSH|")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 5:
            writer.write(b"x")
            await writer.drain()
            if await _closed_within(reader, 0.1):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < 3
        writer.close()
    except ConnectionError:
        pass  # the server closed the socket while we wrote: also the expected outcome
    finally:
        await server.close()


class SlowHl7(type(HL7)):  # type: ignore[misc]
    """HL7 whose parsing takes ``delay`` seconds of blocking work (like a costly regex)."""

    delay = 0.6

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        time.sleep(self.delay)
        return super().accept(payload, ctx)  # type: ignore[no-any-return]


async def test_parsing_runs_off_the_event_loop(settings: HubSettings) -> None:
    """While a message is parsed the event loop keeps running (``/healthz`` stays responsive)."""
    ingestor = Ingestor(SlowHl7(), MemorySink(), settings)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(tick())
    result = await ingestor.ingest(hs.adt())
    ticker.cancel()
    assert result.ok
    assert ticks >= 10


async def test_parsing_has_a_time_bound(settings: HubSettings) -> None:
    """A message taking longer than ``parse_timeout_s`` is refused (code ``timeout``) and dead-lettered."""
    sink = MemorySink()
    ingestor = Ingestor(SlowHl7(), sink, settings, parse_timeout_s=0.1)
    result = await ingestor.ingest(hs.adt())
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "timeout"
    assert len(sink.on(settings.topics.dlq)) == 1


async def test_small_messages_are_parsed_inline_and_large_ones_in_the_pool(settings: HubSettings) -> None:
    """Up to ``inline_parse_max_bytes`` a message is parsed on the event loop's thread (no hand-over);
    a larger one in a parse thread, under its time bound."""
    threads: list[str] = []

    class Recording(type(HL7)):  # type: ignore[misc]
        def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
            threads.append(threading.current_thread().name)
            return super().accept(payload, ctx)  # type: ignore[no-any-return]

    small = hs.adt(control_id="SMALL")
    large = hs.adt(control_id="LARGE", extra_segments=("NTE|1||" + "x" * 4000,))
    ingestor = Ingestor(Recording(), MemorySink(), settings, inline_parse_max_bytes=len(small) + 100)
    assert (await ingestor.ingest(small)).ok
    assert (await ingestor.ingest(large)).ok
    assert threads[0] == threading.current_thread().name
    assert threads[1].startswith("hl7v2-parse")


@pytest.mark.parametrize(
    ("module", "path", "content_type"),
    [
        ("connectors.kpr.server", "/kpr/extract", "text/csv"),
        ("connectors.ambulance.server", "/ambulance/events", "application/json"),
    ],
)
async def test_http_body_limit_is_aligned_with_the_record_size(
    module: str, path: str, content_type: str, settings: HubSettings
) -> None:
    """A body larger than twice Kafka's record size is answered 413 without being parsed."""
    import importlib

    mod = importlib.import_module(module)
    fmt = importlib.import_module(module.replace(".server", ".format")).FORMAT
    app = mod.build_app(Ingestor(fmt, MemorySink(), settings))
    body = b"a" * (2 * MAX_RECORD_BYTES + 1024)
    async with TestClient(TestServer(app)) as client:
        response: Any = await client.post(path, data=io.BytesIO(body), headers={"Content-Type": content_type})
        assert response.status == 413
