"""``hub connector kpr``: serve ``POST /kpr/extract``, or ingest one extract file with ``--file``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from connectors.common.auth import protect
from connectors.common.ingest import HTTP_ACKS, Ingestor
from connectors.common.runtime import connector_runtime, serve_until_stopped
from connectors.common.sink import KafkaSink
from connectors.kpr.format import FORMAT
from connectors.kpr.server import PATH, build_app
from hub.logs import configure_logging
from hub.settings import HubSettings, load_settings
from hub.tls import listener_context


async def _serve(settings: HubSettings) -> None:
    async with connector_runtime(settings, FORMAT, HTTP_ACKS) as runtime:
        host, port = settings.web.host, settings.web.kpr_port
        click.echo(
            f"kpr connector: POST http://{host}:{port}{PATH} (text/csv or application/xml; Ctrl-C stops)"
        )
        app = protect(build_app(runtime.ingestor), settings)
        await serve_until_stopped(app, host, port, listener_context(settings))


async def _ingest(settings: HubSettings, path: Path, payload: bytes, system: str | None) -> bool:
    sink = KafkaSink.from_settings(settings)
    try:
        result = await Ingestor(FORMAT, sink, settings).ingest(payload, system=system)
    finally:
        sink.close()
    if result.accepted is not None:
        state = "duplicate of an earlier extract" if result.duplicate else "accepted"
        click.echo(
            f"{path}: {state}, message {result.accepted.message_id}, {len(result.accepted.events)} events"
        )
        return True
    reason = result.error.reason if result.error else "rejected"
    click.echo(f"{path}: rejected (dead-lettered): {reason}", err=True)
    return False


@click.command("kpr")
@click.option(
    "--file",
    "file_",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ingest this IPLOS XML extract or KPR CSV file once and exit, instead of serving HTTP.",
)
@click.option("--system", default=None, help="Sending system name for --file (default: from the extract).")
def kpr(file_: Path | None, system: str | None) -> None:
    """Municipal KAD / service extracts (IPLOS XML or KPR CSV) over HTTP (HUB_WEB__KPR_PORT) or a file."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    if file_ is not None:
        if not asyncio.run(_ingest(settings, file_, file_.read_bytes(), system)):
            raise SystemExit(1)
        return
    asyncio.run(_serve(settings))
