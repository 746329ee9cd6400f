"""``hub connector ambulance``: serve ``POST /ambulance/events``, or ingest a JSON-lines ``--file``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
import structlog

from connectors.ambulance.files import ingest_file
from connectors.ambulance.format import FORMAT
from connectors.ambulance.server import PATH, build_app
from connectors.common.auth import protect
from connectors.common.ingest import HTTP_ACKS
from connectors.common.runtime import connector_runtime, serve_until_stopped
from connectors.common.sink import KafkaSink
from hub.logs import configure_logging
from hub.settings import HubSettings, load_settings
from hub.tls import listener_context

log = structlog.get_logger(__name__)


async def _serve(settings: HubSettings) -> None:
    async with connector_runtime(settings, FORMAT, HTTP_ACKS) as runtime:
        app = protect(build_app(runtime.ingestor), settings)
        host, port = settings.web.host, settings.web.ambulance_port
        click.echo(f"ambulance connector: POST http://{host}:{port}{PATH} (Ctrl-C stops)")
        await serve_until_stopped(app, host, port, listener_context(settings))


async def _ingest(settings: HubSettings, path: Path, system: str | None) -> bool:
    sink = KafkaSink.from_settings(settings)
    try:
        report = await ingest_file(path, FORMAT, sink, settings, system=system)
    finally:
        sink.close()
    click.echo(report.summary())
    return not report.rejected


@click.command("ambulance")
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ingest this JSON-lines file (one mission event per line) and exit, instead of serving HTTP.",
)
@click.option("--system", default=None, help="Sending system name for --file (default: 'AMK <amk_central>').")
def ambulance(file_: Path | None, system: str | None) -> None:
    """AMK dispatch feed: JSON mission events over HTTP (port HUB_WEB__AMBULANCE_PORT) or from a file."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    if file_ is not None:
        if not asyncio.run(_ingest(settings, file_, system)):
            raise SystemExit(1)
        return
    asyncio.run(_serve(settings))
