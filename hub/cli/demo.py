"""``hub demo``: the README's main job — the whole hub on a synthetic helsefellesskap, one command."""

from __future__ import annotations

import asyncio
from datetime import datetime

import click

from hub.settings import load_settings


@click.command()
@click.option(
    "--speed",
    type=float,
    default=600.0,
    show_default=True,
    help="Simulated seconds per real second (600: ten simulated minutes a second).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the synthetic region.")
@click.option(
    "--helsefellesskap", default="HF-HNT", show_default=True, help="Which helsefellesskap to simulate."
)
@click.option(
    "--deviation-share",
    type=float,
    default=0.15,
    show_default=True,
    help="Share of pathways with a deliberate samhandlingsavvik.",
)
@click.option("--duration", type=float, default=None, help="Stop after this many seconds (default: Ctrl-C).")
@click.option("--keep-infra", is_flag=True, help="Leave Kafka and the registry running afterwards.")
@click.option("--board-port", type=int, default=None, help="Board port (default HUB_WEB__BOARD_PORT, 8080).")
@click.option(
    "--start",
    default=None,
    help="Simulated start (ISO 8601). Default: --history-days ago, "
    "fast-forwarded at --speed until it reaches now, then in real time.",
)
@click.option(
    "--history-days",
    type=float,
    default=3.0,
    show_default=True,
    help="Days of history to fast-forward through before running live.",
)
def demo(  # noqa: PLR0917 - click passes one argument per option
    speed: float,
    seed: int,
    helsefellesskap: str,
    deviation_share: float,
    duration: float | None,
    keep_infra: bool,
    board_port: int | None,
    start: str | None,
    history_days: float,
) -> None:
    """Start Kafka + registry, the worker, the connectors, the live board and the region simulator."""
    from hub.demo.run import DemoOptions, run_demo
    from hub.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_format, "WARNING")
    options = DemoOptions(
        speed=speed,
        seed=seed,
        helsefellesskap=helsefellesskap,
        deviation_share=deviation_share,
        duration_s=duration,
        keep_infra=keep_infra,
        board_port=board_port,
        start=datetime.fromisoformat(start) if start else None,
        history_days=history_days,
    )
    failed = asyncio.run(run_demo(settings, options, lambda text: click.echo(text, err=True)))
    if failed is not None:
        raise click.ClickException(f"the demo stopped early: {failed}")
