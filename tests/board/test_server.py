"""The board's web server: page, snapshot JSON, Server-Sent Events, health; and the feed's decoding."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from structlog.testing import capture_logs

from hub.board.feed import BoardFeed
from hub.board.server import create_app, start_board
from hub.board.view import BoardState
from hub.cli.board import board
from hub.events.outputs import AvvikRecord
from hub.serde import TopicCodec
from hub.settings import HubSettings
from tests.board.records import avvik, beds

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


class FakeSource:
    """A BoardState behind a lock, as the feed offers it, without Kafka."""

    def __init__(self) -> None:
        self.state = BoardState()
        self.lock = threading.Lock()

    @property
    def version(self) -> int:
        return self.state.version

    def snapshot(self, now: datetime) -> dict[str, Any]:
        with self.lock:
            return self.state.snapshot(now)

    def status(self) -> dict[str, Any]:
        return {"feed_running": True}


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
async def client(source: FakeSource) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(source, clock=lambda: NOW, push_check_s=0.05, push_every_s=0.5)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def _next_snapshot(response: Any) -> dict[str, Any]:
    """Read SSE lines until a complete ``snapshot`` event has arrived."""
    event, data = None, None
    while True:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and event == "snapshot" and data is not None:
            result: dict[str, Any] = json.loads(data)
            return result


async def test_page_is_served_with_local_assets_only(client: TestClient[Any, Any]) -> None:
    """GET / serves the Norwegian page; script and style come from /static and the CSP forbids the rest."""
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert "Samhandlingstavla" in html
    assert "Utskrivningsklare" in html
    assert "http" not in html.replace('xmlns="http', "")  # no CDN or other remote asset
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    for asset in ("/static/board.js", "/static/board.css"):
        assert (await client.get(asset)).status == 200


async def test_snapshot_json_reflects_the_state(client: TestClient[Any, Any], source: FakeSource) -> None:
    """GET /api/snapshot returns the view model of the current state as JSON."""
    source.state.apply_avvik(avvik("a1", "SA03", NOW - timedelta(hours=1)))
    source.state.apply_beds(beds("K5006-KAD", NOW, 3, 5))
    response = await client.get("/api/snapshot")
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["totals"]["open_avvik"] == 1
    assert body["totals"]["occupied"] == 3
    assert body["reference_time"] == NOW.isoformat()


async def test_stream_pushes_an_update_when_the_state_changes(
    client: TestClient[Any, Any], source: FakeSource
) -> None:
    """GET /api/stream sends a snapshot at once, and another as soon as a new record is applied."""
    response = await client.get("/api/stream")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    first = await _next_snapshot(response)
    assert first["totals"]["open_avvik"] == 0
    with source.lock:
        source.state.apply_avvik(avvik("a1", "SA01", NOW))
    second = await _next_snapshot(response)
    assert second["totals"]["open_avvik"] == 1
    assert second["version"] > first["version"]
    response.close()


async def test_healthz_reports_the_feed(client: TestClient[Any, Any]) -> None:
    """GET /healthz answers ok with the feed's status."""
    body = await (await client.get("/healthz")).json()
    assert body == {"status": "ok", "feed_running": True}


class _Message:
    def __init__(self, topic: str, value: bytes | None, key: bytes | None = None) -> None:
        self._topic, self._value, self._key = topic, value, key

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 7

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


def test_feed_decodes_applies_and_survives_bad_records(clean_environ: None) -> None:
    """The feed applies decoded records, honours tombstones, and logs (not raises) on undecodable bytes."""
    settings = HubSettings(registry={"url": None})
    feed = BoardFeed(settings, BoardState())
    codec = TopicCodec(AvvikRecord, settings.topics.avvik, None)
    feed.handle(_Message(settings.topics.avvik, codec.encode(avvik("a1", "SA01", NOW))))
    assert feed.snapshot(NOW)["totals"]["open_avvik"] == 1
    with capture_logs() as logs:
        feed.handle(_Message(settings.topics.avvik, b"\xffnot avro"))
    assert feed.failed == 1
    assert logs[0]["event"] == "board skipped a record"
    assert logs[0]["offset"] == 7
    feed.handle(_Message(settings.topics.avvik, None, key=b"a1"))
    assert feed.snapshot(NOW + timedelta(seconds=1))["totals"]["open_avvik"] == 0


async def test_start_board_serves_even_without_a_broker(clean_environ: None) -> None:
    """start_board listens on a free port and answers while the broker is unreachable; stop() ends it."""
    settings = HubSettings(kafka={"bootstrap_servers": "127.0.0.1:1"}, registry={"url": None})
    handle = await start_board(settings, port=0)
    try:
        assert handle.port > 0
        assert handle.url == f"http://127.0.0.1:{handle.port}/"
        async with ClientSession() as session:
            async with session.get(handle.url + "healthz") as response:
                health = await response.json()
            async with session.get(handle.url + "api/snapshot") as response:
                snapshot = await response.json()
        assert health["status"] == "ok"
        assert health["feed_running"] is True
        assert snapshot["totals"]["open_avvik"] == 0
    finally:
        await handle.stop()
    assert handle.feed.status()["feed_running"] is False


def test_board_command_is_a_click_command() -> None:
    """``hub board`` exists as a click command with a --port option."""
    result = CliRunner().invoke(board, ["--help"])
    assert result.exit_code == 0
    assert "--port" in result.output
