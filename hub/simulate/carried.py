"""A region rendered to messages, and the canonical facts those messages carry (the truth they map back to).

The synth timeline holds a few facts no source message carries; they are left out of the truth, each named
with its reason in :data:`NOT_CARRIED` (the README lists them). ``hub simulate --out/--truth`` and the
differential test (:mod:`hub.simulate.differential`) take their messages and truth from :func:`plan_region`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.events import Event, EventType
from hub.masterdata.model import MasterData
from hub.simulate.message import Outgoing
from hub.simulate.plan import Planner
from hub.simulate.simulator import SimOptions, timeline

NOT_CARRIED: dict[EventType, str] = {
    EventType.AVVIK_REPORTED: "a manual avvik (SA14) comes through the hub's API, not a source message",
    EventType.DECLARED_READY: (
        "only when the hospital never sent the utskrivningsklar notice: the declaration travels in the PLO "
        "notice (LOG_UTSKRIVNINGSKLAR), and no HL7 ADT event carries it"
    ),
}
"""Canonical facts no source message carries, and why (left out of the truth)."""


@dataclass(frozen=True, slots=True)
class PlannedRegion:
    """The messages in send order, the truth they carry, and the planner that rendered them."""

    messages: list[Outgoing]
    truth: list[Event]
    left_out: list[Event]
    planner: Planner


def plan_region(options: SimOptions, masterdata: MasterData, start: datetime) -> PlannedRegion:
    """Render the region from ``start`` up to ``start + options.duration`` (where the simulator stops too)."""
    end = start + options.duration if options.duration else None
    events = [e for e in timeline(options, masterdata, start) if end is None or e.occurred_at <= end]
    carried = [e for e in events if e.event_type is not EventType.AVVIK_REPORTED]
    planner = Planner(seed=options.seed, masterdata=masterdata)
    messages = list(planner.plan(carried))
    unsent = {e.event_id for e in planner.held.values()}
    truth = [e for e in carried if e.event_id not in unsent]
    kept = {e.event_id for e in truth}
    return PlannedRegion(messages, truth, [e for e in events if e.event_id not in kept], planner)
