"""``hub board``: serve the live board (bed occupancy, utskrivningsklare, avvik, ambulance) until Ctrl-C."""

from __future__ import annotations

import asyncio

import click

from hub.board.server import start_board
from hub.logs import configure_logging
from hub.settings import HubSettings, load_settings


async def _serve(settings: HubSettings, port: int | None) -> None:
    handle = await start_board(settings, port=port)
    click.echo(f"Tavla (live board): {handle.url}   Ctrl-C stopper.")
    try:
        await asyncio.Event().wait()
    finally:
        await handle.stop()


@click.command()
@click.option("--port", type=int, default=None, help="Port to serve on (default: HUB_WEB__BOARD_PORT, 8080).")
def board(port: int | None) -> None:
    """Serve the live board over the hub's output topics at http://127.0.0.1:8080/ (HUB_WEB__*)."""
    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(_serve(settings, port))
    except KeyboardInterrupt:
        click.echo("board stopped", err=True)
