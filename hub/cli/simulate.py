"""``hub simulate``: send a synthetic helsefellesskap through the running connectors' real protocols."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hub.settings import load_offline_settings, load_settings

if TYPE_CHECKING:
    from hub.simulate.stats import SimStats


def _start(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command()
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the synthetic region.")
@click.option("--helsefellesskap", default="HF-HNT", show_default=True, help="Helsefellesskap to simulate.")
@click.option(
    "--speed",
    type=float,
    default=600.0,
    show_default=True,
    help="Simulated seconds per real second (600: ten simulated minutes a second).",
)
@click.option(
    "--deviation-share",
    type=click.FloatRange(0.0, 1.0),
    default=0.15,
    show_default=True,
    help="Probability that each step that can go wrong does (late notice, missing report …).",
)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Stop after this many messages.")
@click.option(
    "--duration",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="Stop after this many simulated hours.",
)
@click.option(
    "--start", default=None, help="Simulated start instant, ISO 8601 (default: now; UTC if no offset)."
)
@click.option(
    "--events-per-day",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="Synthetic events per simulated day (default: from population, else 100).",
)
@click.option(
    "--census-days",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Start from a census: first send the stays still open at the start (with up to N days of history).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the messages as files (one per message, in send order) instead of sending them.",
)
@click.option(
    "--truth",
    "truth_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --out: write the canonical facts the messages carry (JSON lines); what none carries is "
    "left out and named.",
)
def simulate(  # noqa: PLR0917 - click passes one argument per option
    seed: int,
    helsefellesskap: str,
    speed: float,
    deviation_share: float,
    limit: int | None,
    duration: float | None,
    start: str | None,
    events_per_day: float | None,
    census_days: int,
    out_dir: Path | None,
    truth_file: Path | None,
) -> None:
    """Send HL7 ADT, PLO, ambulance and KPR messages of a synthetic region to the connectors (HUB_WEB__*)."""
    from hub.logs import configure_logging
    from hub.simulate.simulator import SimOptions, run_simulation

    # writing files pseudonymises nothing and sends nothing: no key or listener setting is needed
    settings = load_offline_settings() if out_dir is not None else load_settings()
    configure_logging(settings.log_format, settings.log_level)
    options = SimOptions(
        seed=seed,
        helsefellesskap=helsefellesskap,
        speed=speed,
        deviation_share=deviation_share,
        start=_start(start),
        limit=limit,
        duration=timedelta(hours=duration) if duration else None,
        events_per_day=events_per_day,
        census_days=census_days,
    )

    if truth_file is not None and out_dir is None:
        raise click.UsageError("--truth goes with --out")
    if out_dir is not None:
        from hub.simulate.files import write_region

        if options.duration is None and options.limit is None:
            raise click.UsageError("--out needs --duration or --limit (the region is otherwise endless)")
        written, notes = write_region(options, settings, out_dir, truth_file)
        click.echo(
            f"wrote {written} messages to {out_dir}" + (f", truth to {truth_file}" if truth_file else "")
        )
        for note in notes:
            click.echo(note, err=True)
        return

    async def main() -> SimStats:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)  # Ctrl-C stops sending and still prints the counts
        return await run_simulation(settings, options, stop)

    stats = asyncio.run(main())
    click.echo(stats.summary())
    if any(c.failed for c in stats.per_protocol.values()):
        raise SystemExit(1)
