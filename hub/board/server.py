"""The board's web server (aiohttp): the page, its JSON snapshot, a Server-Sent Events stream and health.

``GET /`` the page · ``GET /static/…`` its JS and CSS · ``GET /api/snapshot`` the view model ·
``GET /api/stream`` SSE (``event: snapshot``) whenever the view changes, at least every few seconds ·
``GET /healthz``. Everything is served locally; the Content-Security-Policy forbids anything else.
``/messages/`` the operator page and its API, the very app of ``hub messages serve``
(:func:`hub.ops.messages_api.messages_app`, mounted): find messages by id or patient, dead letters included.

Served over HTTPS with ``HUB_TLS__*`` (plaintext only with ``HUB_ENV=dev`` or ``HUB_TLS__ALLOW_PLAINTEXT``).
The board shows counts, units and waiting times per kommune — no pseudonym, person number or name — so it
is not a patient-level read; patient-level reads are the worker's ``/pathway`` and the operator page's API
under ``/messages/api/``: each request authenticated by ``hub.auth`` (as ``/pathway``) and audited, refused
or answered. The operator page itself holds no data (it asks the API with the token the operator enters).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from aiohttp import web

from hub.board.feed import BoardFeed
from hub.board.view import BoardNames, BoardState
from hub.errors import DeliveryError, HubError, PrerequisiteMissing
from hub.masterdata import load_masterdata
from hub.settings import HubSettings
from hub.tls import listener_context

log = structlog.get_logger("hub.board")

STATIC_DIR = Path(__file__).resolve().parent / "static"
PUSH_CHECK_S = 1.0
PUSH_EVERY_S = 5.0
OPERATOR_PREFIX = "/messages/"
"""Where the operator page (``hub messages serve``'s app) is mounted on the board."""
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class SnapshotSource(Protocol):
    """What the server needs from the feed: a versioned, thread-safe snapshot and health facts."""

    @property
    def version(self) -> int: ...

    def snapshot(self, now: datetime) -> dict[str, Any]: ...

    def status(self) -> dict[str, Any]: ...


SOURCE = web.AppKey("source", SnapshotSource)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
STOPPING = web.AppKey("stopping", asyncio.Event)
PUSH = web.AppKey("push", tuple[float, float])


def wall_clock() -> datetime:
    """The current UTC time (the only wall clock of the board, injected into the app)."""
    return datetime.now(UTC)


def _dumps(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))


@web.middleware
async def _security_headers(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def _snapshot(request: web.Request) -> web.Response:
    source = request.app[SOURCE]
    body = _dumps(source.snapshot(request.app[CLOCK]()))
    return web.Response(text=body, content_type="application/json", headers={"Cache-Control": "no-store"})


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", **request.app[SOURCE].status()})


async def _stream(request: web.Request) -> web.StreamResponse:
    app = request.app
    source, clock, stopping = app[SOURCE], app[CLOCK], app[STOPPING]
    check_s, every_s = app[PUSH]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    sent_version, sent_at = -1, 0.0
    try:
        await response.write(b"retry: 2000\n\n")
        while not stopping.is_set():
            if source.version != sent_version or loop.time() - sent_at >= every_s:
                sent_version, sent_at = source.version, loop.time()
                data = _dumps(source.snapshot(clock()))
                await response.write(f"event: snapshot\ndata: {data}\n\n".encode())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), check_s)
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the browser went away, or the server is stopping
    return response


async def _to_operator(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(OPERATOR_PREFIX)


async def _on_shutdown(app: web.Application) -> None:
    app[STOPPING].set()


def create_app(
    source: SnapshotSource,
    *,
    clock: Callable[[], datetime] = wall_clock,
    push_check_s: float = PUSH_CHECK_S,
    push_every_s: float = PUSH_EVERY_S,
    operator: web.Application | None = None,
) -> web.Application:
    """The board's aiohttp application over ``source``; ``operator`` (the app of
    :func:`hub.ops.messages_api.messages_app`) is mounted at :data:`OPERATOR_PREFIX` when given."""
    app = web.Application(middlewares=[_security_headers])
    app[SOURCE] = source
    app[CLOCK] = clock
    app[STOPPING] = asyncio.Event()
    app[PUSH] = (push_check_s, push_every_s)
    app.on_shutdown.append(_on_shutdown)
    app.router.add_get("/", _index)
    app.router.add_get("/api/snapshot", _snapshot)
    app.router.add_get("/api/stream", _stream)
    app.router.add_get("/healthz", _healthz)
    app.router.add_static("/static/", STATIC_DIR)
    if operator is not None:
        app.router.add_get(OPERATOR_PREFIX.rstrip("/"), _to_operator)
        app.add_subapp(OPERATOR_PREFIX, operator)
    return app


def operator_app(settings: HubSettings) -> tuple[web.Application, Callable[[], None]]:
    """``hub messages serve``'s app over the configured cluster, authenticated by ``hub.auth`` and audited to
    the audit stream, and the function that waits until its audit entries are confirmed."""
    from hub.auth import RequestAuthenticator
    from hub.ops.audited import cli_audit
    from hub.ops.message_search import MessageFinder
    from hub.ops.messages_api import messages_app
    from hub.ops.topic_reader import KafkaRecordSource

    audit, flush = cli_audit(settings)
    finder = MessageFinder(settings, KafkaRecordSource(settings), audit)
    return messages_app(settings, finder, RequestAuthenticator(settings)), flush


@dataclass(slots=True)
class BoardHandle:
    """A running board: its URL, and :meth:`stop`."""

    url: str
    port: int
    feed: BoardFeed
    runner: web.AppRunner
    flush_audit: Callable[[], None] = lambda: None

    async def stop(self) -> None:
        """Stop serving, stop the Kafka consumer and wait for the operator page's audit entries."""
        await self.runner.cleanup()
        await asyncio.to_thread(self.feed.stop)
        try:
            await asyncio.to_thread(self.flush_audit)
        except DeliveryError:
            log.exception("operator page audit entries not confirmed")
        log.info("board stopped", url=self.url)


def board_names(settings: HubSettings) -> BoardNames:
    """Display names from master data; empty (ids shown instead) when master data cannot be read."""
    try:
        return BoardNames.from_masterdata(load_masterdata(settings.masterdata_dir))
    except HubError as exc:
        log.warning("board runs without master data names", error=str(exc))
        return BoardNames()


async def start_board(settings: HubSettings, *, port: int | None = None) -> BoardHandle:
    """Start the board in this event loop: Kafka feed thread plus web server on ``web.host``.

    ``port`` defaults to ``settings.web.board_port``; 0 picks a free port (see ``handle.port``).
    """
    host = settings.web.host
    wanted = settings.web.board_port if port is None else port
    try:
        sock = socket.create_server((host, wanted))
    except OSError as exc:
        raise PrerequisiteMissing(f"board cannot listen on {host}:{wanted}: {exc}") from exc
    try:
        context = listener_context(settings)
    except BaseException:
        sock.close()
        raise
    actual = int(sock.getsockname()[1])
    feed = BoardFeed(settings, BoardState(board_names(settings)))
    try:
        operator, flush_audit = operator_app(settings)
    except BaseException:
        sock.close()
        raise
    runner = web.AppRunner(create_app(feed, operator=operator), shutdown_timeout=2.0, access_log=None)
    try:
        await runner.setup()
        await web.SockSite(runner, sock, ssl_context=context).start()
    except BaseException:
        await runner.cleanup()
        sock.close()
        raise
    feed.start()
    shown = f"[{host}]" if ":" in host else host
    url = f"{'https' if context else 'http'}://{shown}:{actual}/"
    log.info("board started", url=url, group_id=feed.group_id)
    return BoardHandle(url=url, port=actual, feed=feed, runner=runner, flush_audit=flush_audit)
