"""``hub connector ambulance``: serve ``POST /ambulance/events``, or ingest a JSON-lines ``--file``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import click
import structlog
from aiohttp import web

from connectors.ambulance.files import ingest_file
from connectors.ambulance.format import FORMAT
from connectors.ambulance.server import PATH, build_app
from connectors.common.ingest import HTTP_ACKS
from connectors.common.runtime import connector_runtime
from connectors.common.sink import KafkaSink
from hub.settings import HubSettings, load_settings

log = structlog.get_logger(__name__)


async def serve(app: web.Application, host: str, port: int) -> None:
    """Run ``app`` until SIGINT/SIGTERM, then shut down cleanly."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve(settings: HubSettings) -> None:
    async with connector_runtime(settings, FORMAT, HTTP_ACKS) as runtime:
        app = build_app(runtime.ingestor)
        host, port = settings.web.host, settings.web.ambulance_port
        click.echo(f"ambulance connector: POST http://{host}:{port}{PATH} (Ctrl-C stops)")
        await serve(app, host, port)


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
    if file_ is not None:
        if not asyncio.run(_ingest(settings, file_, system)):
            raise SystemExit(1)
        return
    asyncio.run(_serve(settings))
