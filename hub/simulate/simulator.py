"""Orchestration: synth timeline → source messages → each sent when its simulated time comes.

Messages go out one at a time in timeline order (so a patient's discharge never overtakes the admission);
a message waits for the connector's answer (with retries) before the next is sent. When sending falls
behind the simulated clock, due messages go out back to back.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from hub.errors import ConfigError
from hub.events import Event
from hub.masterdata.load import load_masterdata
from hub.masterdata.model import MasterData
from hub.settings import HubSettings
from hub.simulate.clock import SimClock
from hub.simulate.message import Outgoing, Protocol
from hub.simulate.plan import Planner
from hub.simulate.rates import events_per_day
from hub.simulate.senders import HttpSender, MllpSender, RetryPolicy, Sender, deliver
from hub.simulate.stats import SimStats
from hub.synth import SynthConfig, generate
from hub.synth.region import generate_region, region_rates

log = structlog.get_logger(__name__)
UNBOUNDED_SPAN_DAYS = 3650


@dataclass(frozen=True, slots=True)
class SimOptions:
    """What to simulate, how fast and for how long (``duration`` is simulated time)."""

    seed: int = 1
    helsefellesskap: str = "HF-HNT"
    speed: float = 600.0
    deviation_share: float = 0.15
    start: datetime | None = None
    """Simulated start instant (default: now)."""
    follow_wall_clock: bool = False
    """Fast-forward from a past ``start`` until simulated time reaches the wall clock, then real time."""
    limit: int | None = None
    """Stop after this many messages."""
    duration: timedelta | None = None
    """Stop when the simulated clock passes start + duration."""
    events_per_day: float | None = None
    """Synthetic canonical events per simulated day. Default: the region calibrated to population and
    ``rates.csv`` (:mod:`hub.synth.region`); without population or rates, :func:`rates.events_per_day`."""
    census_days: int = 0
    """Start from a census (calibrated region only): the stays of the ``census_days`` before ``start`` still
    open at ``start`` are sent first, with their history (admission, notices, utskrivningsklar), so the wards
    are full and some patients already wait when the run starts. 30 covers nearly every stay."""
    protocols: frozenset[Protocol] = frozenset(Protocol)
    """Protocols to send; messages of the others are counted as skipped."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ConfigError("speed must be positive")
        if self.limit is not None and self.limit < 0:
            raise ConfigError("limit must not be negative")
        if self.census_days < 0:
            raise ConfigError("census_days must not be negative")


def timeline(options: SimOptions, masterdata: MasterData, start: datetime) -> Iterator[Event]:
    """The canonical synth timeline the messages are rendered from (deterministic for a seed and start)."""
    span_days = (
        max(1, math.ceil(options.duration / timedelta(days=1))) if options.duration else UNBOUNDED_SPAN_DAYS
    )
    config = SynthConfig(
        helsefellesskap_id=options.helsefellesskap,
        start=start,
        span_days=span_days,
        deviation_share=options.deviation_share,
        seed=options.seed,
        census_days=options.census_days,
    )
    if options.events_per_day is None:
        rates = region_rates(masterdata, options.helsefellesskap, start.date())
        if rates is not None:
            return generate_region(masterdata, config, rates)
    per_day = options.events_per_day or events_per_day(masterdata, options.helsefellesskap, start.date())
    total = max(1, round(per_day * span_days))
    return generate(masterdata, config, total)


def messages(
    options: SimOptions, masterdata: MasterData, start: datetime
) -> tuple[Planner, Iterator[Outgoing]]:
    """The planner and its lazily rendered messages for ``options`` (deterministic for a seed and start)."""
    planner = Planner(seed=options.seed, masterdata=masterdata)
    return planner, planner.plan(timeline(options, masterdata, start))


def _senders(settings: HubSettings) -> tuple[MllpSender, HttpSender]:
    web = settings.web
    base = f"http://{web.host}"
    urls = {
        Protocol.PLO: f"{base}:{web.plo_port}/plo",
        Protocol.AMBULANCE: f"{base}:{web.ambulance_port}/ambulance/events",
        Protocol.KPR: f"{base}:{web.kpr_port}/kpr/extract",
    }
    return MllpSender(web.host, web.mllp_port), HttpSender(urls)


async def _wait(clock: SimClock, at: datetime, stop: asyncio.Event) -> bool:
    """Wait until simulated time ``at``; False if ``stop`` was set first."""
    delay = clock.delay_until(at)
    if delay <= 0:
        return not stop.is_set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)
    return not stop.is_set()


async def run_simulation(
    settings: HubSettings,
    options: SimOptions,
    stop: asyncio.Event | None = None,
    *,
    masterdata: MasterData | None = None,
) -> SimStats:
    """Send the synthetic region to the connectors at ``settings.web`` until limit, duration or ``stop``."""
    stop = stop or asyncio.Event()
    start = options.start or datetime.now(UTC)
    md = masterdata or load_masterdata(settings.masterdata_dir)
    planner, outgoing = messages(options, md, start)
    clock = SimClock(
        start, options.speed, wall_origin=datetime.now(UTC) if options.follow_wall_clock else None
    )
    end = start + options.duration if options.duration else None
    mllp, http = _senders(settings)
    stats = SimStats()
    log.info("simulation started", start=start.isoformat(), speed=options.speed, seed=options.seed)
    try:
        for message in outgoing:
            if options.limit is not None and stats.sent >= options.limit:
                break
            if end is not None and message.at > end:
                break
            if message.protocol not in options.protocols:
                stats.skipped += 1
                continue
            if not await _wait(clock, message.at, stop):
                break
            sender: Sender = mllp if message.protocol is Protocol.HL7 else http
            done = await deliver(sender, message, options.retry)
            stats.record(message.protocol, done.outcome, done.retries, short=done.short)
    finally:
        stats.skipped += planner.skipped
        await mllp.close()
        await http.close()
        log.info("simulation stopped", sent=stats.sent)
    return stats
