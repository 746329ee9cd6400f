"""«Tid for samordning» Tabell 6 for any cohort the hub can see: patients, liggedøgn and stays per HF.

Helse Nord's «Tid for samordning» (2023), Tabell 6, counts for 2022 the *skrøpelige eldre* per helseforetak:
patients, liggedøgn and hospital stays (:data:`TABELL6_2022`). The hub's proxy for frailty is the default
:class:`Cohort`: 75 years or older at admission (birth year) with a municipal service (hjemmesykepleie,
sykehjem, …) running at admission.

Counting, from canonical events through the core's own episode builder (:func:`hub.domain.episodes.
build_episodes`: HL7 A11/A13 cancellations, stays joined across sources, source codes resolved by master
data): a stay counts in the period when it was **discharged** in it (Europe/Oslo dates, ``end`` exclusive)
and it was not cancelled; its liggedøgn are the midnights between admission and discharge (the NPR
convention: discharge date − admission date); a patient counts once per HF with at least one such stay.
PLO/KPR cancellations (``correction.action = CANCEL``) remove the message they cancel before counting.
Pure: the caller reads the events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from hub.domain.episodes import build_episodes
from hub.domain.facts import fact_from_event
from hub.domain.organisations import Places
from hub.domain.timeutil import local_date
from hub.events import CorrectionAction, Event
from hub.masterdata.model import MasterData

TOTAL = "TOTAL"


@dataclass(frozen=True, slots=True)
class Cohort:
    """Which patients a Tabell 6 counts."""

    min_age: int = 75
    with_services: bool = True
    """Only patients with a municipal service running at admission."""

    @property
    def label(self) -> str:
        """Norwegian description of the cohort."""
        services = " med kommunale tjenester ved innleggelse" if self.with_services else ""
        return f"{self.min_age} år og eldre{services}"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of Tabell 6."""

    hf: str
    patients: int
    liggedogn: int
    stays: int

    @property
    def liggedogn_per_patient(self) -> float:
        """Liggedøgn per patient (0 without patients)."""
        return self.liggedogn / self.patients if self.patients else 0.0

    @property
    def liggedogn_per_stay(self) -> float:
        """Liggedøgn per stay (0 without stays)."""
        return self.liggedogn / self.stays if self.stays else 0.0

    @property
    def stays_per_patient(self) -> float:
        """Stays per patient (0 without patients)."""
        return self.stays / self.patients if self.patients else 0.0


TABELL6_2022: dict[str, Row] = {
    "FINNMARK": Row("FINNMARK", 863, 9_697, 1_760),
    "HELGELAND": Row("HELGELAND", 1_147, 14_967, 2_456),
    "NLSH": Row("NLSH", 1_971, 23_100, 3_961),
    "UNN": Row("UNN", 2_419, 31_252, 4_409),
    TOTAL: Row(TOTAL, 6_400, 79_016, 12_586),
}
"""«Tid for samordning» (Helse Nord RHF 2023) Tabell 6, skrøpelige eldre 2022; TOTAL = Helse Nord."""


@dataclass(slots=True)
class Tabell6:
    """Rows per HF (sorted) and the total, for a cohort and period."""

    cohort: Cohort
    start: date
    end: date
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=lambda: Row(TOTAL, 0, 0, 0))

    def row(self, hf: str) -> Row | None:
        """The row of an HF (or :data:`TOTAL`), or None."""
        if hf == TOTAL:
            return self.total
        return next((r for r in self.rows if r.hf == hf), None)


def _by_patient(events: Iterable[Event]) -> dict[str, list[Event]]:
    kept: dict[str, Event] = {}
    cancelled: set[str] = set()
    for event in events:
        if event.patient is None:
            continue
        correction = event.correction
        if correction is not None and correction.action is CorrectionAction.CANCEL:
            cancelled.add(correction.target_event_id)
            continue
        if correction is not None and correction.action is CorrectionAction.REPLACE:
            cancelled.add(correction.target_event_id)
        kept[event.event_id] = event
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in kept.values():
        if event.event_id not in cancelled and event.patient is not None:
            grouped[event.patient.pseudonym].append(event)
    return grouped


def build_tabell6(
    events: Iterable[Event],
    masterdata: MasterData,
    *,
    start: date,
    end: date,
    cohort: Cohort | None = None,
) -> Tabell6:
    """Tabell 6 of the stays discharged in ``[start, end)`` of the cohort (default :class:`Cohort`)."""
    cohort = cohort or Cohort()
    places = Places(masterdata)
    patients: dict[str, set[str]] = defaultdict(set)
    liggedogn: dict[str, int] = defaultdict(int)
    stays: dict[str, int] = defaultdict(int)
    for pseudonym, own in _by_patient(events).items():
        birth_years = [e.patient.birth_year for e in own if e.patient and e.patient.birth_year]
        if not birth_years:
            continue
        birth_year = birth_years[-1]
        eps = build_episodes(fact_from_event(e, places=places) for e in own)
        for stay in eps.valid_stays():
            if stay.admitted is None or stay.discharged is None:
                continue
            admitted, discharged = local_date(stay.admitted.t), local_date(stay.discharged.t)
            if not start <= discharged < end:
                continue
            if admitted.year - birth_year < cohort.min_age:
                continue
            if cohort.with_services and not eps.services_at(stay.admitted.t):
                continue
            hf = stay.admitted.hf or "unknown"
            patients[hf].add(pseudonym)
            liggedogn[hf] += (discharged - admitted).days
            stays[hf] += 1
    result = Tabell6(cohort=cohort, start=start, end=end)
    result.rows = [Row(hf, len(patients[hf]), liggedogn[hf], stays[hf]) for hf in sorted(stays)]
    everyone = set().union(*patients.values()) if patients else set()
    result.total = Row(TOTAL, len(everyone), sum(liggedogn.values()), sum(stays.values()))
    return result


def deviation(found: Row, reference: Row) -> dict[str, float]:
    """Relative deviation of each count from a reference row (0.05 = 5 % above)."""
    return {
        "patients": found.patients / reference.patients - 1,
        "liggedogn": found.liggedogn / reference.liggedogn - 1,
        "stays": found.stays / reference.stays - 1,
    }


def _num(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


def _int(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def render_tabell6(table: Tabell6, masterdata: MasterData) -> str:
    """Markdown: one row per HF and the total, with «Tid for samordning» 2022 beside each HF it has."""
    lines = [
        f"# Tabell 6: liggedøgn og opphold, {table.cohort.label}",
        "",
        f"Utskrevet {table.start.isoformat()} – {table.end.isoformat()} (til, ikke med). "
        "Liggedøgn = utskrivningsdato − innskrivningsdato.",
        "",
        "| HF | Pasienter | Liggedøgn | Opphold | Liggedøgn per pasient | Liggedøgn per opphold "
        "| Opphold per pasient | «Tid for samordning» 2022, helår (pas./døgn/opph.) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in [*table.rows, table.total]:
        hf = masterdata.helseforetak.get(row.hf)
        name = "Sum" if row.hf == TOTAL else (hf.name if hf else row.hf)
        ref = TABELL6_2022.get(row.hf) if row.hf != TOTAL else None
        ref_text = f"{_int(ref.patients)} / {_int(ref.liggedogn)} / {_int(ref.stays)}" if ref else "–"
        lines.append(
            f"| {name} | {_int(row.patients)} | {_int(row.liggedogn)} | {_int(row.stays)} "
            f"| {_num(row.liggedogn_per_patient)} | {_num(row.liggedogn_per_stay)} "
            f"| {_num(row.stays_per_patient)} | {ref_text} |"
        )
    lines += [
        "",
        "Kilde for sammenligningen: Helse Nord RHF, «Tid for samordning» (2023), Tabell 6 (skrøpelige eldre, "
        "2022). Hubens kohort er en tilnærming: alder og kommunale tjenester ved innleggelse.",
        "",
    ]
    return "\n".join(lines)
