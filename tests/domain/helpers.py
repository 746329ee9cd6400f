"""Helpers for the domain tests: a base time and a runner that feeds events with a watermark clock."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from hub.domain import AvvikRecord, AvvikUpsert, Effect, Engine, EngineConfig
from hub.events import Event
from hub.masterdata import MasterData
from hub.synth.build import utc

T0 = utc(2024, 3, 4, 8)  # Monday 09:00 in Oslo
LATENESS = timedelta(minutes=15)

Runner = Callable[..., dict[str, AvvikRecord]]


def collect(effects: Sequence[Effect], into: dict[str, AvvikRecord]) -> None:
    """Keep the latest version of every avvik record."""
    for effect in effects:
        if isinstance(effect, AvvikUpsert):
            into[effect.record.avvik_id] = effect.record


def run_events(
    md: MasterData,
    events: Sequence[Event],
    until: datetime,
    *,
    lateness: timedelta = LATENESS,
    eager: bool = True,
    engine: Engine | None = None,
) -> dict[str, AvvikRecord]:
    """Apply events in order, advancing the clock to the watermark after each, then to ``until``."""
    engine = engine or Engine(md, config=EngineConfig(allowed_lateness=lateness, eager=eager))
    records: dict[str, AvvikRecord] = {}
    watermark: datetime | None = None
    for event in events:
        collect(engine.apply(event), records)
        watermark = event.occurred_at if watermark is None else max(watermark, event.occurred_at)
        collect(engine.advance(watermark), records)
    collect(engine.advance(until), records)
    return records


def of(records: dict[str, AvvikRecord], code: str) -> list[AvvikRecord]:
    """The records of one rule."""
    return [r for r in records.values() if r.code == code]
