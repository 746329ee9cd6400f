"""``hub worker``: run the stream worker (normalise, pathway, beds agents; web on :6066)."""

from __future__ import annotations

import click

from hub.settings import load_settings


@click.command()
@click.option(
    "--clock",
    type=click.Choice(["wall", "event"]),
    default="wall",
    show_default=True,
    help="wall: live, wall-clock ticks fire deadlines of quiet partitions; event: event time only.",
)
@click.option("--tick-interval", type=float, default=5.0, show_default=True, help="Seconds between ticks.")
@click.option(
    "--app-id",
    default="samhandling-hub",
    show_default=True,
    envvar="HUB_WORKER_APP_ID",
    help="Consumer group and table namespace; another id makes an independent worker group "
    "(env HUB_WORKER_APP_ID, e.g. for a second demo on the same broker).",
)
@click.option("--port", type=int, default=None, help="Web port (default HUB_WEB__WORKER_PORT, 6066).")
@click.option(
    "--bulk-restore-min-records",
    type=click.IntRange(min=0),
    default=5_000,
    show_default=True,
    help="Before faust starts, fill table partitions at least this many records behind their changelog "
    "straight from it (much faster than faust's recovery); 0 turns it off.",
)
def worker(
    clock: str, tick_interval: float, app_id: str, port: int | None, bulk_restore_min_records: int
) -> None:
    """Run the stream worker until Ctrl-C or SIGTERM."""
    from agents.app import WorkerOptions
    from agents.run import run_worker
    from hub.logs import configure_logging

    settings = load_settings()
    if port is not None:
        settings.web.worker_port = port
    configure_logging(settings.log_format, settings.log_level)
    options = WorkerOptions(
        live=clock == "wall",
        tick_interval_s=tick_interval,
        app_id=app_id,
        bulk_restore_min_records=bulk_restore_min_records or None,
    )
    run_worker(settings, options)
