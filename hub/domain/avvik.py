"""Samhandlingsavvik records: catalogue (severity, texts), :class:`AvvikRecord`, and its lifecycle.

Lifecycle: a rule finding becomes an ``OPEN`` record (or ``RESOLVED`` when the awaited message came late or
the episode ended); a record whose cause disappears (a CANCEL / A11 / A13, or a message that turns out to
have been on time) becomes ``RETRACTED``. Records are keyed by a deterministic ``avvik_id`` so a compacted
topic keeps the latest version of each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from hub.domain.timeutil import iso, parse_iso


class AvvikStatus(StrEnum):
    """Where an avvik is in its lifecycle."""

    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    RETRACTED = "RETRACTED"


class Severity(StrEnum):
    """How serious a deviation is for patient safety or cost."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """Severity and short texts of one rule."""

    severity: Severity
    title_no: str
    title_en: str


CATALOGUE: dict[str, CatalogueEntry] = {
    "SA01": CatalogueEntry(
        Severity.MEDIUM, "Kommunen ikke varslet om innleggelse", "Kommune not notified of admission"
    ),
    "SA02": CatalogueEntry(Severity.LOW, "Innleggelsesrapport mangler", "Admission report missing"),
    "SA03": CatalogueEntry(
        Severity.MEDIUM,
        "Sen melding om utskrivningsklar pasient",
        "Late notice of patient ready for discharge",
    ),
    "SA04": CatalogueEntry(
        Severity.MEDIUM, "Kommunen svarte ikke samme dag", "Kommune did not answer the same day"
    ),
    "SA05": CatalogueEntry(
        Severity.HIGH, "Overliggedøgn (betalingsplikt)", "Bed-blocking days (municipal payment)"
    ),
    "SA06": CatalogueEntry(
        Severity.HIGH, "Utskrevet uten avtale med kommunen", "Discharged without municipal agreement"
    ),
    "SA07": CatalogueEntry(Severity.MEDIUM, "Epikrise forsinket", "Discharge summary late"),
    "SA08": CatalogueEntry(Severity.MEDIUM, "Utskrivningsrapport mangler", "Discharge report missing"),
    "SA09": CatalogueEntry(Severity.MEDIUM, "Reinnleggelse innen 30 dager", "Readmission within 30 days"),
    "SA10": CatalogueEntry(Severity.LOW, "For langt opphold i KAD/sykestue", "KAD/sykestue stay too long"),
    "SA11": CatalogueEntry(
        Severity.MEDIUM, "KAD-pasient sendt til sykehus innen 24 t", "KAD bounce to hospital within 24 h"
    ),
    "SA12": CatalogueEntry(
        Severity.HIGH, "Lang responstid for akutt ambulanse", "Slow acute ambulance response"
    ),
    "SA13": CatalogueEntry(Severity.MEDIUM, "Melding avvist (AppRec)", "Message rejected (AppRec)"),
    "SA14": CatalogueEntry(Severity.MEDIUM, "Manuelt meldt avvik", "Manually reported deviation"),
}


def _duration_no(seconds: int) -> str:
    hours, rest = divmod(abs(seconds), 3600)
    return f"{hours} t {rest // 60} min" if hours else f"{rest // 60} min"


def _duration_en(seconds: int) -> str:
    hours, rest = divmod(abs(seconds), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"


def describe(
    code: str, status: AvvikStatus, *, delay: int | None, days: int | None, amount: int | None, unpriced: int
) -> tuple[str, str]:
    """Short Norwegian and English text of a record."""
    entry = CATALOGUE[code]
    no, en = entry.title_no, entry.title_en
    if days is not None:
        price_no = f"{amount} kr" if amount is not None else "pris ukjent"
        price_en = f"NOK {amount}" if amount is not None else "price unknown"
        no += f": {days} døgn, {price_no}"
        en += f": {days} days, {price_en}"
        if unpriced:
            no += f" ({unpriced} døgn uten døgnpris)"
            en += f" ({unpriced} days without a døgnpris)"
    if status is AvvikStatus.RESOLVED and delay is not None:
        no += f"; kom {_duration_no(delay)} for sent"
        en += f"; arrived {_duration_en(delay)} late"
    elif status is AvvikStatus.RETRACTED:
        no += " (trukket tilbake)"
        en += " (retracted)"
    return no, en


@dataclass(frozen=True, slots=True)
class AvvikRecord:
    """One samhandlingsavvik as published on ``samhandling.avvik`` (key: ``avvik_id``).

    Instants are epoch seconds (UTC); :meth:`to_dict` renders them as ISO 8601. ``delay`` (seconds) is set
    when a late message resolved the record; ``days``/``amount_nok``/``unpriced_days`` only for SA05.
    ``kommunenummer`` is the patient's oppholdskommune (falling back to bostedskommune, then the unit's).
    """

    avvik_id: str
    code: str
    severity: Severity
    status: AvvikStatus
    pseudonym: str | None
    pathway_id: str | None
    episode_id: str | None
    hf: str | None
    kommunenummer: str | None
    helsefellesskap: str | None
    detected_at: int
    due_at: int | None
    resolved_at: int | None
    delay: int | None
    evidence: tuple[str, ...]
    text_no: str
    text_en: str
    days: int | None = None
    amount_nok: int | None = None
    unpriced_days: int = 0
    category: str | None = None

    @property
    def key(self) -> str:
        """Kafka key: the avvik id."""
        return self.avvik_id

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (ISO 8601 UTC instants)."""
        return {
            "avvik_id": self.avvik_id,
            "code": self.code,
            "severity": self.severity.value,
            "status": self.status.value,
            "pseudonym": self.pseudonym,
            "pathway_id": self.pathway_id,
            "episode_id": self.episode_id,
            "hf": self.hf,
            "kommunenummer": self.kommunenummer,
            "helsefellesskap": self.helsefellesskap,
            "detected_at": iso(self.detected_at),
            "due_at": iso(self.due_at),
            "resolved_at": iso(self.resolved_at),
            "delay_seconds": self.delay,
            "evidence": list(self.evidence),
            "text_no": self.text_no,
            "text_en": self.text_en,
            "days": self.days,
            "amount_nok": self.amount_nok,
            "unpriced_days": self.unpriced_days,
            "category": self.category,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AvvikRecord:
        """Inverse of :meth:`to_dict`."""
        detected = parse_iso(data["detected_at"])
        assert detected is not None  # noqa: S101 - written by to_dict
        return cls(
            avvik_id=data["avvik_id"],
            code=data["code"],
            severity=Severity(data["severity"]),
            status=AvvikStatus(data["status"]),
            pseudonym=data.get("pseudonym"),
            pathway_id=data.get("pathway_id"),
            episode_id=data.get("episode_id"),
            hf=data.get("hf"),
            kommunenummer=data.get("kommunenummer"),
            helsefellesskap=data.get("helsefellesskap"),
            detected_at=detected,
            due_at=parse_iso(data.get("due_at")),
            resolved_at=parse_iso(data.get("resolved_at")),
            delay=data.get("delay_seconds"),
            evidence=tuple(data.get("evidence", ())),
            text_no=data["text_no"],
            text_en=data["text_en"],
            days=data.get("days"),
            amount_nok=data.get("amount_nok"),
            unpriced_days=int(data.get("unpriced_days", 0)),
            category=data.get("category"),
        )

    def retracted(self) -> AvvikRecord:
        """This record with status RETRACTED (its cause was cancelled or turned out to be on time)."""
        no, en = describe(
            self.code,
            AvvikStatus.RETRACTED,
            delay=None,
            days=self.days,
            amount=self.amount_nok,
            unpriced=self.unpriced_days,
        )
        return replace(self, status=AvvikStatus.RETRACTED, text_no=no, text_en=en)
