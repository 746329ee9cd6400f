"""Builders of output records and ambulance events for the board tests (no patient data beyond pseudonyms)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.events import Event, EventType, SourceKind, UnitKind, make_event_id
from hub.events.outputs import (
    AvvikRecord,
    AvvikStatus,
    BedMetricsRecord,
    MetricPeriod,
    MetricScope,
    PathwayStateRecord,
    Severity,
)

PSEUDONYM = "PSEUDO-SECRET-0123456789abcdef"


def avvik(
    avvik_id: str,
    code: str,
    at: datetime,
    *,
    status: AvvikStatus = AvvikStatus.OPEN,
    kommune: str | None = "5006",
    resolved_at: datetime | None = None,
    days: int | None = None,
    nok: float | None = None,
    pseudonym: str = PSEUDONYM,
) -> AvvikRecord:
    """An avvik record of ``code`` detected at ``at``."""
    return AvvikRecord(
        avvik_id=avvik_id,
        code=code,
        severity=Severity.HIGH if code in {"SA05", "SA06", "SA12"} else Severity.MEDIUM,
        status=status,
        patient_pseudonym=pseudonym,
        pathway_id=f"pathway-of-{pseudonym}",
        hf="HNT",
        kommune=kommune,
        helsefellesskap="HNT",
        detected_at=at,
        resolved_at=resolved_at,
        evidence_event_ids=[f"evidence-{pseudonym}"],
        overliggedogn=days,
        betalingsplikt_nok=nok,
        text_no=f"{code} tekst",
        text_en=f"{code} text",
    )


def beds(
    unit_id: str,
    at: datetime,
    occupied: int,
    capacity: int | None,
    *,
    kind: UnitKind = UnitKind.KAD_SOMATISK,
    period: MetricPeriod = MetricPeriod.LIVE,
    scope: MetricScope = MetricScope.UNIT,
    utskrivningsklare: int = 0,
) -> BedMetricsRecord:
    """A bed-metrics record of a unit (or other scope) at ``at``."""
    return BedMetricsRecord(
        metric_id=f"{scope}:{unit_id}:{period}:{at.isoformat()}",
        scope=scope,
        scope_id=unit_id,
        unit_kind=kind if scope is MetricScope.UNIT else None,
        period=period,
        period_start=at,
        occupied=occupied,
        capacity=capacity,
        belegg=occupied / capacity if capacity else None,
        utskrivningsklare=utskrivningsklare,
    )


def pathway(pseudonym: str, phase: str, at: datetime, kommune: str | None = "5006") -> PathwayStateRecord:
    """A pathway-state record of ``pseudonym`` in ``phase`` since ``at``."""
    return PathwayStateRecord(
        pseudonym=pseudonym,
        pathway_id=f"pathway-of-{pseudonym}",
        status="ACTIVE",
        phase=phase,
        location="HOSPITAL",
        oppholdskommune=kommune,
        utskrivningsklar_since=at if phase == "UTSKRIVNINGSKLAR" else None,
        updated_at=at,
    )


def mission_event(
    event_type: EventType,
    mission_id: str,
    at: datetime,
    *,
    hastegrad: str = "AKUTT",
    area: str = "TETTSTED",
    pseudonym: str = PSEUDONYM,
) -> Event:
    """An ambulance event of ``mission_id`` at ``at``."""
    body: dict[str, Any] = {"mission_id": mission_id, "hastegrad": hastegrad, "area": area}
    message_id = f"{mission_id}-{event_type.value}"
    return Event.model_validate(
        {
            "event_id": make_event_id(SourceKind.AMBULANCE, "amk", message_id, event_type),
            "event_type": event_type,
            "occurred_at": at,
            "recorded_at": at + timedelta(seconds=2),
            "source": {"kind": "AMBULANCE", "system": "amk", "message_id": message_id},
            "patient": {"pseudonym": pseudonym, "key_id": "dev1"},
            "organisation": {"unit_kind": "AMK"},
            "body": body,
        }
    )


def mission(
    mission_id: str, called: datetime, minutes: float, *, hastegrad: str = "AKUTT", area: str = "TETTSTED"
) -> list[Event]:
    """CALL_RECEIVED and ON_SCENE of a mission that reached the scene ``minutes`` after the call."""
    return [
        mission_event(EventType.CALL_RECEIVED, mission_id, called, hastegrad=hastegrad, area=area),
        mission_event(
            EventType.ON_SCENE,
            mission_id,
            called + timedelta(minutes=minutes),
            hastegrad=hastegrad,
            area=area,
        ),
    ]
