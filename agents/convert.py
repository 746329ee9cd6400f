"""Domain objects → the public records on the output topics (and the internal bed-change record)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.domain import AvvikRecord as DomainAvvik
from hub.domain import BedDelta, CapacitySet, PathwaySummary
from hub.events.enums import UnitKind
from hub.events.internal import BedChange
from hub.events.outputs import AvvikRecord, AvvikStatus, PathwayStateRecord, Severity


def _at(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _kind(value: str | None) -> UnitKind | None:
    try:
        return UnitKind(value) if value else None
    except ValueError:
        return UnitKind.OTHER


def avvik_record(rec: DomainAvvik) -> AvvikRecord:
    """The ``samhandling.avvik`` record of a domain avvik."""
    detected = datetime.fromtimestamp(rec.detected_at, UTC)
    return AvvikRecord(
        avvik_id=rec.avvik_id,
        code=rec.code,
        severity=Severity(rec.severity.value),
        status=AvvikStatus(rec.status.value),
        patient_pseudonym=rec.pseudonym,
        pathway_id=rec.pathway_id,
        episode_id=rec.episode_id,
        hf=rec.hf,
        kommune=rec.kommunenummer,
        helsefellesskap=rec.helsefellesskap,
        detected_at=detected,
        due_at=_at(rec.due_at),
        resolved_at=_at(rec.resolved_at),
        delay_seconds=rec.delay,
        evidence_event_ids=list(rec.evidence),
        overliggedogn=rec.days,
        betalingsplikt_nok=float(rec.amount_nok) if rec.amount_nok is not None else None,
        text_no=rec.text_no,
        text_en=rec.text_en,
        unpriced_days=rec.unpriced_days,
        category=rec.category,
    )


def pathway_record(summary: PathwaySummary) -> PathwayStateRecord:
    """The ``samhandling.pathway.state`` record of a pathway summary."""
    if summary.location == "HOSPITAL" and summary.utskrivningsklar_since is not None:
        phase = "UTSKRIVNINGSKLAR"
    else:
        phase = summary.location or "NONE"
    return PathwayStateRecord(
        pseudonym=summary.pseudonym,
        pathway_id=summary.pathway_id,
        status=summary.status,
        phase=phase,
        location=summary.location,
        unit_id=summary.unit_id,
        hf=summary.hf,
        episode_id=summary.episode_id,
        oppholdskommune=summary.kommunenummer,
        helsefellesskap=summary.helsefellesskap,
        started_at=_at(summary.started_at),
        ended_at=_at(summary.ended_at),
        utskrivningsklar_since=_at(summary.utskrivningsklar_since),
        open_avvik=summary.open_avvik,
        updated_at=_at(summary.last_event_at),
        source_ids=list(summary.source_ids),
    )


def bed_change(effect: BedDelta | CapacitySet) -> BedChange:
    """The internal bed-change record of a bed delta or a capacity change."""
    if isinstance(effect, CapacitySet):
        return BedChange(
            unit_id=effect.unit_id,
            unit_kind=_kind(effect.unit_kind),
            hf=effect.hf,
            kommunenummer=effect.kommunenummer,
            at=datetime(effect.valid_from.year, effect.valid_from.month, effect.valid_from.day, tzinfo=UTC),
            capacity=effect.beds,
            capacity_from=effect.valid_from,
        )
    at = datetime.fromtimestamp(effect.at, UTC)
    return BedChange(
        unit_id=effect.unit_id,
        unit_kind=_kind(effect.unit_kind),
        hf=effect.hf,
        kommunenummer=effect.kommunenummer,
        at=at,
        delta=effect.delta,
        movement=effect.movement.value,
        segment_id=effect.segment_id,
        segment_start=_at(effect.segment_start),
        reversal=effect.reversal,
    )
