"""``hub connector plo``: serve ``POST /plo`` and, with ``--inbox``, watch a drop directory."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import click
import structlog
from aiohttp import web

from connectors.common.auth import protect
from connectors.common.ingest import APPREC_ACKS
from connectors.common.runtime import connector_runtime, start_site
from connectors.plo.flow import FlowRecorder
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, DropDirectory, build_app
from hub.logs import configure_logging
from hub.masterdata import load_masterdata
from hub.settings import HubSettings, load_settings
from hub.tls import listener_context

log = structlog.get_logger(__name__)


async def _run(settings: HubSettings, inbox: Path | None, outbox: Path | None, poll: float) -> None:
    runner: web.AppRunner | None = None
    # A MsgId is unique per sender (ELIN): a different message under a used MsgId is refused (AppRec E10).
    async with connector_runtime(settings, FORMAT, APPREC_ACKS, refuse_reused_ids=True) as runtime:
        try:
            ingestor = runtime.ingestor
            flow = FlowRecorder.from_masterdata(runtime.metrics, load_masterdata(settings.masterdata_dir))
            runner = web.AppRunner(protect(build_app(ingestor, flow), settings))
            await runner.setup()
            host, port = settings.web.host, settings.web.plo_port
            await start_site(runner, host, port, listener_context(settings))
            click.echo(f"plo connector: POST http://{host}:{port}{PATH} (Ctrl-C stops)")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            tasks: list[asyncio.Task[Any]] = [asyncio.create_task(stop.wait())]
            if inbox is not None:
                drop = DropDirectory(
                    ingestor, inbox, outbox or inbox / "outbox", poll_interval=poll, flow=flow
                )
                click.echo(f"plo connector: watching {inbox} (replies in {drop.outbox})")
                tasks.append(asyncio.create_task(drop.run(stop)))
            await asyncio.gather(*tasks)
        finally:
            if runner is not None:
                await runner.cleanup()


@click.command("plo")
@click.option(
    "--inbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Drop directory to watch for ELIN XML files (done/ and error/ are made inside it).",
)
@click.option(
    "--outbox",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where AppRec replies for dropped files are written (default: <inbox>/outbox).",
)
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between inbox polls.")
def plo(inbox: Path | None, outbox: Path | None, poll: float) -> None:
    """PLO/ELIN-k messages (MsgHead, Epikrise, AppRec) over HTTP (HUB_WEB__PLO_PORT) and a drop directory."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(_run(settings, inbox, outbox, poll))
