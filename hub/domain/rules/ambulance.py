"""Rule about ambulance missions: SA12 slow acute response."""

from __future__ import annotations

from hub.domain.rules.base import RuleContext, Sink, absence
from hub.events.enums import AmbulanceHastegrad, Area, EventType


def sa12_slow_ambulance(ctx: RuleContext, sink: Sink) -> None:
    """SA12: akutt mission with CALL_RECEIVED -> ON_SCENE over 12 min (tettsted) / 25 min (rural)."""
    for mission in ctx.episodes.missions.values():
        call = mission.facts.get(EventType.CALL_RECEIVED)
        if call is None or call.attr(0) != AmbulanceHastegrad.AKUTT.value:
            continue
        limit = (
            ctx.config.sa12_tettsted_max if call.attr(1) == Area.TETTSTED.value else ctx.config.sa12_rural_max
        )
        cancelled = mission.facts.get(EventType.CANCELLED)
        absence(
            ctx,
            sink,
            code="SA12",
            anchor=call,
            due=call.t + int(limit.total_seconds()),
            awaited=mission.facts.get(EventType.ON_SCENE),
            closed_at=cancelled.t if cancelled else None,
            episode_key=mission.key,
            episode_id=mission.mission_id,
        )
