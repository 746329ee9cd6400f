"""What every connector process runs beside its protocol server: Kafka sink, metrics and an ops web server.

The ops server answers ``/healthz``, ``/readyz`` (ready once the sink reaches Kafka) and ``/metrics`` on
``HUB_WEB__WORKER_PORT`` (6066 in containers; distinct ports when several hub processes share a host).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from connectors.common.ingest import AckCodes, Ingestor
from connectors.common.sink import KafkaSink
from connectors.formats import MessageFormat
from hub.observability.metrics import HubMetrics
from hub.settings import HubSettings
from hub.tls import listener_context

log = structlog.get_logger(__name__)


@dataclass
class ConnectorRuntime:
    """The sink, metrics and ingestor of one connector process."""

    settings: HubSettings
    sink: KafkaSink
    metrics: HubMetrics
    registry: CollectorRegistry
    ingestor: Ingestor


def ops_app(registry: CollectorRegistry) -> web.Application:
    """``/healthz``, ``/readyz`` and ``/metrics`` for a connector."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_site(
    runner: web.AppRunner, host: str, port: int, ssl_context: ssl.SSLContext | None
) -> web.TCPSite:
    """Listen on ``host:port`` with HTTPS when ``ssl_context`` is set (``hub.tls.listener_context``)."""
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    return site


async def serve_until_stopped(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Serve ``app`` on ``host:port`` (HTTPS with ``ssl_context``) until SIGINT/SIGTERM, then shut down."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await start_site(runner, host, port, ssl_context)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


@asynccontextmanager
async def connector_runtime(
    settings: HubSettings,
    fmt: MessageFormat,
    ack_codes: AckCodes,
    *,
    ops: bool = True,
    refuse_reused_ids: bool = False,
    inline_parse_max_bytes: int = 0,
) -> AsyncIterator[ConnectorRuntime]:
    """Kafka sink + metrics + ingestor for ``fmt``, and the ops web server while the block runs.

    ``refuse_reused_ids``: refuse a different message under an id already accepted;
    ``inline_parse_max_bytes``: messages up to this size parsed on the event loop (both: see ``Ingestor``).
    """
    registry = CollectorRegistry()
    metrics = HubMetrics(registry)
    sink = KafkaSink.from_settings(settings)
    ingestor = Ingestor(
        fmt,
        sink,
        settings,
        metrics=metrics,
        ack_codes=ack_codes,
        refuse_reused_ids=refuse_reused_ids,
        parse_timeout_s=settings.web.parse_timeout_s,
        inline_parse_max_bytes=inline_parse_max_bytes,
    )
    runner: web.AppRunner | None = None
    try:
        if ops:
            runner = web.AppRunner(ops_app(registry), access_log=None)
            await runner.setup()
            await start_site(runner, settings.web.host, settings.web.worker_port, listener_context(settings))
            log.info("ops endpoints", port=settings.web.worker_port, connector=fmt.name)
        yield ConnectorRuntime(settings, sink, metrics, registry, ingestor)
    finally:
        if runner is not None:
            await runner.cleanup()
        ingestor.close()
        sink.close()
