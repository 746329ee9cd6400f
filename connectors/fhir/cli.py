"""``hub connector fhir``: the FHIR R4 endpoint, writing to ``samhandling.raw.fhir``.

Runs beside it the connector ops server (``/healthz``, ``/readyz``, ``/metrics`` on ``HUB_WEB__WORKER_PORT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click
import structlog
from aiohttp import web

from connectors.common.auth import protect
from connectors.common.ingest import HTTP_ACKS
from connectors.common.runtime import connector_runtime, start_site
from connectors.fhir.format import FORMAT
from connectors.fhir.server import DEFAULT_MAX_BODY, build_app
from hub.logs import configure_logging
from hub.settings import HubSettings, load_settings
from hub.tls import listener_context

log = structlog.get_logger(__name__)


async def run(settings: HubSettings, *, host: str, port: int, max_body: int) -> None:
    """Serve HTTP until SIGINT/SIGTERM, then stop the site and flush the Kafka producer."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with connector_runtime(settings, FORMAT, HTTP_ACKS) as runtime:
        runner = web.AppRunner(
            protect(build_app(runtime.ingestor, max_body=max_body), settings), access_log=None
        )
        try:
            await runner.setup()
            await start_site(runner, host, port, listener_context(settings))
            click.echo(f"fhir connector: POST http://{host}:{port}/fhir/Encounter and /fhir (Ctrl-C stops)")
            await stop.wait()
        finally:
            log.info("fhir shutting down")
            await runner.cleanup()


@click.command("fhir")
@click.option("--host", default=None, help="Listen address (default: HUB_WEB__HOST).")
@click.option("--port", type=int, default=None, help="HTTP port (default: HUB_WEB__FHIR_PORT, 8090).")
@click.option(
    "--max-body", type=int, default=DEFAULT_MAX_BODY, show_default=True, help="Largest body, bytes."
)
def fhir(host: str | None, port: int | None, max_body: int) -> None:
    """Receive FHIR R4 Encounter/Bundle over HTTP; 2xx only after the raw document is in Kafka."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(
        run(settings, host=host or settings.web.host, port=port or settings.web.fhir_port, max_body=max_body)
    )
