"""``hub connector hl7``: the HL7 v2 ADT MLLP listener, writing to ``samhandling.raw.hl7v2``.

Runs beside it the connector ops server (``/healthz``, ``/readyz``, ``/metrics`` on ``HUB_WEB__WORKER_PORT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click
import structlog

from connectors.common.auth import check_mllp_senders
from connectors.common.ingest import HL7_ACKS
from connectors.common.runtime import connector_runtime
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.mllp import DEFAULT_MAX_SIZE
from connectors.hl7v2.server import MllpServer
from hub.logs import configure_logging
from hub.settings import HubSettings, load_settings
from hub.tls import listener_context

INLINE_PARSE_MAX_BYTES = 16 * 1024
"""ADT messages up to 16 KiB (nearly all; a few ms of parsing at most, linear in the size) are parsed on the
event loop; larger ones in the parse pool, bounded by its timeout."""

log = structlog.get_logger(__name__)


async def run(settings: HubSettings, *, host: str, port: int, max_size: int) -> None:
    """Serve MLLP until SIGINT/SIGTERM, then close the listener and flush the Kafka producer."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    check_mllp_senders(settings)
    async with connector_runtime(
        settings, FORMAT, HL7_ACKS, inline_parse_max_bytes=INLINE_PARSE_MAX_BYTES
    ) as runtime:
        server = MllpServer(
            runtime.ingestor,
            host=host,
            port=port,
            max_size=max_size,
            max_connections=settings.web.mllp_max_connections,
            idle_timeout_s=settings.web.mllp_idle_timeout_s,
            read_timeout_s=settings.web.mllp_read_timeout_s,
            ssl_context=listener_context(settings),
        )
        try:
            await server.start()
            scheme = "MLLP over TLS" if server.ssl_context else "MLLP"
            click.echo(f"hl7 connector: {scheme} on {host}:{server.bound_port} (Ctrl-C stops)")
            await stop.wait()
        finally:
            log.info("mllp shutting down")
            await server.close()


@click.command("hl7")
@click.option("--host", default=None, help="Listen address (default: HUB_WEB__HOST).")
@click.option("--port", type=int, default=None, help="MLLP port (default: HUB_WEB__MLLP_PORT, 2575).")
@click.option(
    "--max-size", type=int, default=DEFAULT_MAX_SIZE, show_default=True, help="Largest message, bytes."
)
def hl7(host: str | None, port: int | None, max_size: int) -> None:
    """Receive HL7 v2 ADT over MLLP; ACK AA only after the raw message is in Kafka."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(
        run(settings, host=host or settings.web.host, port=port or settings.web.mllp_port, max_size=max_size)
    )
