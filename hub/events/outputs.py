"""Records on the output topics: avvik, pathway state and bed metrics. Subscribers depend on these.

They are the public form of what the domain core computes; ``agents`` converts core objects into them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from hub.events.enums import UnitKind
from hub.events.parts import Part


class AvvikStatus(StrEnum):
    """Lifecycle of a samhandlingsavvik."""

    OPEN = "OPEN"
    RESOLVED = "RESOLVED"  # the missing message arrived late, or the situation ended
    RETRACTED = "RETRACTED"  # its cause was cancelled (PLO C, HL7 A11/A13)


class Severity(StrEnum):
    """How serious an avvik is."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class AvvikRecord(Part):
    """One samhandlingsavvik on ``samhandling.avvik`` (compacted, key: ``avvik_id``)."""

    avvik_id: str = Field(description="Deterministic: the same cause gives the same id on every replay")
    code: str = Field(pattern=r"^SA\d{2}$")
    severity: Severity
    status: AvvikStatus
    patient_pseudonym: str | None = None
    pathway_id: str | None = None
    episode_id: str | None = None
    hf: str | None = None
    kommune: str | None = Field(default=None, description="Kommunenummer concerned (oppholdskommune)")
    helsefellesskap: str | None = None
    detected_at: datetime = Field(description="Event time at which the deviation arose")
    due_at: datetime | None = Field(default=None, description="Deadline that was missed, for absence rules")
    resolved_at: datetime | None = None
    delay_seconds: int | None = Field(default=None, description="How late the awaited message came")
    evidence_event_ids: list[str] = Field(default_factory=list)
    overliggedogn: int | None = Field(default=None, description="SA05: days counted so far")
    betalingsplikt_nok: float | None = Field(default=None, description="SA05: days × døgnpris, when known")
    text_no: str
    text_en: str
    unpriced_days: int = Field(
        default=0, description="SA05: days without a known døgnpris (not in the amount)"
    )
    category: str | None = Field(default=None, description="SA14: the category staff chose")


class PathwayStateRecord(Part):
    """Latest pathway state of a patient on ``samhandling.pathway.state`` (compacted, key: pseudonym)."""

    pseudonym: str
    pathway_id: str | None = None
    status: str = Field(description="ACTIVE (an episode open or just ended), CLOSED, or NONE")
    phase: str = Field(
        description="AMBULANCE, HOSPITAL, UTSKRIVNINGSKLAR (ready, still in hospital), KAD or NONE"
    )
    location: str | None = Field(
        default=None, description="AMBULANCE, HOSPITAL or KAD while an episode is open"
    )
    unit_id: str | None = None
    hf: str | None = None
    episode_id: str | None = None
    oppholdskommune: str | None = None
    helsefellesskap: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    utskrivningsklar_since: datetime | None = None
    open_avvik: int = 0
    updated_at: datetime | None = Field(default=None, description="Event time of the last event applied")
    source_ids: list[str] = Field(
        default_factory=list,
        description="Every source id the pathway joined: hospital:<each source's stay id>, kad:<id>, "
        "ambulance:<mission id>",
    )


class MetricScope(StrEnum):
    """What a bed-metrics record covers."""

    UNIT = "UNIT"
    KOMMUNE = "KOMMUNE"
    HF = "HF"
    HELSEFELLESSKAP = "HELSEFELLESSKAP"


class MetricPeriod(StrEnum):
    """Which snapshot a bed-metrics record is."""

    LIVE = "LIVE"  # after each change
    HOUR = "HOUR"
    DAY = "DAY"
    CENSUS = "CENSUS"  # midnight census (liggedøgn)


class BedMetricsRecord(Part):
    """A bed-use snapshot on ``samhandling.beds.metrics`` (key: ``metric_id``)."""

    metric_id: str = Field(
        description="scope:scope_id:period:period_start — a replay overwrites, never duplicates"
    )
    scope: MetricScope
    scope_id: str
    unit_kind: UnitKind | None = None
    hf: str | None = None
    kommune: str | None = None
    helsefellesskap: str | None = None
    period: MetricPeriod
    period_start: datetime
    period_end: datetime | None = None
    occupied: int = 0
    capacity: int | None = None
    belegg: float | None = Field(default=None, description="Occupied bed-days / available bed-days")
    admissions: int = 0
    discharges: int = 0
    bed_days: float = 0.0
    avg_length_of_stay_hours: float | None = None
    utskrivningsklare: int = 0
    overliggedogn: int = 0
    betalingsplikt_nok: float = 0.0
