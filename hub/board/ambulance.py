"""Ambulance response for the board: CALL_RECEIVED -> ON_SCENE per mission against the national targets.

The national target is for akutt (rød) missions: 90 % on scene within 12 minutes in tettsted and 25 minutes
in rural areas. Haster and vanlig have no national limit; the board shows their median and 90th percentile.
Pure: no I/O, no clock (``reference`` is passed in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from hub.board.labels import AREA_LABELS, HASTEGRAD_LABELS
from hub.board.series import percentile
from hub.events import AmbulanceHastegrad, Area, Event, EventType, Mission

RESPONSE_TARGET_MIN: dict[Area, int] = {Area.TETTSTED: 12, Area.RURAL: 25}
"""National target for akutt ambulance response (CALL_RECEIVED -> ON_SCENE): 90 % within these minutes."""
GOAL_SHARE = 0.9
PENDING_MISSION_MAX = timedelta(hours=2)
"""A call older than this without ON_SCENE is no longer shown as underway (its end was probably lost)."""
HISTOGRAM_EDGES_MIN: tuple[int, ...] = (0, 4, 8, 12, 16, 20, 25, 30, 45)


@dataclass(slots=True)
class _Mission:
    hastegrad: AmbulanceHastegrad
    area: Area
    call_at: datetime | None = None
    on_scene_at: datetime | None = None
    cancelled: bool = False

    def response_minutes(self) -> float | None:
        if self.cancelled or self.call_at is None or self.on_scene_at is None:
            return None
        if self.on_scene_at < self.call_at:
            return None
        return (self.on_scene_at - self.call_at).total_seconds() / 60


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class AmbulanceResponses:
    """Pairs mission events and summarises response times; keeps at most ``limit`` missions."""

    def __init__(self, limit: int = 20_000) -> None:
        self._limit = limit
        self._missions: dict[str, _Mission] = {}

    def apply(self, event: Event) -> None:
        """Take CALL_RECEIVED, ON_SCENE and CANCELLED of a mission, in any order; ignore other events."""
        body = event.body
        if not isinstance(body, Mission):
            return
        mission = self._missions.get(body.mission_id)
        if mission is None:
            mission = self._missions[body.mission_id] = _Mission(body.hastegrad, body.area)
            if len(self._missions) > self._limit:
                del self._missions[next(iter(self._missions))]
        if event.event_type is EventType.CALL_RECEIVED:
            mission.hastegrad, mission.area = body.hastegrad, body.area
            if mission.call_at is None or event.occurred_at < mission.call_at:
                mission.call_at = event.occurred_at
        elif event.event_type is EventType.ON_SCENE:
            if mission.on_scene_at is None or event.occurred_at < mission.on_scene_at:
                mission.on_scene_at = event.occurred_at
        elif event.event_type is EventType.CANCELLED:
            mission.cancelled = True

    def view(self, reference: datetime) -> dict[str, Any]:
        """Per hastegrad and area: count, median, p90 and (akutt) share within target; histogram; underway."""
        by_group: dict[tuple[AmbulanceHastegrad, Area], list[float]] = {}
        pending = pending_over = 0
        for mission in self._missions.values():
            minutes = mission.response_minutes()
            if minutes is not None:
                by_group.setdefault((mission.hastegrad, mission.area), []).append(minutes)
            elif not mission.cancelled and mission.call_at is not None and mission.on_scene_at is None:
                waited = reference - mission.call_at
                if timedelta(0) <= waited <= PENDING_MISSION_MAX:
                    pending += 1
                    limit = RESPONSE_TARGET_MIN[mission.area]
                    if mission.hastegrad is AmbulanceHastegrad.AKUTT and waited > timedelta(minutes=limit):
                        pending_over += 1
        groups: list[dict[str, Any]] = []
        akutt_n = akutt_within = 0
        for hastegrad in AmbulanceHastegrad:
            for area in Area:
                values = sorted(by_group.get((hastegrad, area), []))
                is_akutt = hastegrad is AmbulanceHastegrad.AKUTT
                if not values and not is_akutt:
                    continue
                target = RESPONSE_TARGET_MIN[area] if is_akutt else None
                within = sum(1 for v in values if v <= target) if target is not None else None
                if within is not None:
                    akutt_n += len(values)
                    akutt_within += within
                median, p90 = percentile(values, 0.5), percentile(values, 0.9)
                groups.append(
                    {
                        "hastegrad": hastegrad.value,
                        "hastegrad_label": HASTEGRAD_LABELS[hastegrad],
                        "area": area.value,
                        "area_label": AREA_LABELS[area],
                        "n": len(values),
                        "target_minutes": target,
                        "within": within,
                        "share_within": _share(within, len(values)) if within is not None else None,
                        "median_minutes": round(median, 1) if median is not None else None,
                        "p90_minutes": round(p90, 1) if p90 is not None else None,
                    }
                )
        return {
            "targets": {area.value: minutes for area, minutes in RESPONSE_TARGET_MIN.items()},
            "goal_share": GOAL_SHARE,
            "groups": groups,
            "akutt_share": _share(akutt_within, akutt_n),
            "akutt_n": akutt_n,
            "pending": pending,
            "pending_over_target": pending_over,
            "histogram": _histogram(by_group),
        }


def _histogram(by_group: Mapping[tuple[AmbulanceHastegrad, Area], list[float]]) -> dict[str, Any]:
    """Akutt response times in minute bins, split into within and over the area's target."""
    edges = HISTOGRAM_EDGES_MIN
    labels = [f"{lo}–{hi}" for lo, hi in pairwise(edges)] + [f"{edges[-1]}+"]
    within = [0] * len(labels)
    over = [0] * len(labels)
    for (hastegrad, area), values in by_group.items():
        if hastegrad is not AmbulanceHastegrad.AKUTT:
            continue
        for value in values:
            index = sum(1 for edge in edges[1:] if value >= edge)
            (within if value <= RESPONSE_TARGET_MIN[area] else over)[index] += 1
    return {"labels": labels, "within": within, "over": over}
