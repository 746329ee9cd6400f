"""Domain objects → the public records on the output topics (bed records: :mod:`agents.bed_sync`)."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.domain import AvvikRecord as DomainAvvik
from hub.domain import PathwaySummary
from hub.events.outputs import AvvikRecord, AvvikStatus, PathwayStateRecord, Severity


def _at(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


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
