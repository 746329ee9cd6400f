"""The samhandlingsavvik report of one helsefellesskap and period, as a pure aggregation of avvik records.

:func:`build_report` takes :class:`~hub.events.outputs.AvvikRecord` values (the latest version of each avvik
id wins, in input order) and returns an :class:`AvvikReport`. Definitions:

* **Period**: ``detected_at`` on a Europe/Oslo calendar day in ``[start, end]`` (both ends inclusive).
* **Counts** (by code, kommune, HF and month): records with status OPEN or RESOLVED; RETRACTED records (their
  cause was cancelled or replaced) are left out of every count and reported separately.
* **Month**: the Europe/Oslo month of ``detected_at``; every month of a closed period is listed, with zeros.
* **Median delay** per code: the median ``delay_seconds`` of RESOLVED records that carry one (how late the
  awaited message came).
* **Betalingsplikt**: per oppholdskommune, sums of ``overliggedogn``, ``betalingsplikt_nok`` and
  ``unpriced_days`` of the non-retracted SA05 records.

Names of kommuner, HF and helsefellesskap come from master data when given. No I/O here.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from hub.domain.avvik import CATALOGUE
from hub.events.outputs import AvvikRecord, AvvikStatus
from hub.masterdata.model import MasterData

__all__ = [
    "UNKNOWN",
    "AvvikReport",
    "BetalingspliktRow",
    "CodeRow",
    "GroupRow",
    "MonthRow",
    "StatusCounts",
    "build_report",
    "oslo_date",
]

OSLO = ZoneInfo("Europe/Oslo")
UNKNOWN = "ukjent"


def oslo_date(at: datetime) -> date:
    """The Europe/Oslo calendar day of an instant."""
    return at.astimezone(OSLO).date()


@dataclass(frozen=True, slots=True)
class StatusCounts:
    """How many avvik are open, resolved and retracted; ``total`` leaves the retracted out."""

    open: int = 0
    resolved: int = 0
    retracted: int = 0

    @property
    def total(self) -> int:
        """Open + resolved (retracted avvik are not counted)."""
        return self.open + self.resolved


@dataclass(frozen=True, slots=True)
class CodeRow:
    """Counts and median delay of one avvik code."""

    code: str
    title_no: str
    counts: StatusCounts
    median_delay_seconds: float | None
    delays: int


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Counts of one kommune or HF (``key`` is ``ukjent`` when the records do not say)."""

    key: str
    name: str
    counts: StatusCounts


@dataclass(frozen=True, slots=True)
class MonthRow:
    """Counted avvik of one month (``YYYY-MM``), by code."""

    month: str
    by_code: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """All counted avvik of the month."""
        return sum(n for _, n in self.by_code)

    def count(self, code: str) -> int:
        """Counted avvik of ``code`` in the month."""
        return dict(self.by_code).get(code, 0)


@dataclass(frozen=True, slots=True)
class BetalingspliktRow:
    """SA05 totals of one oppholdskommune."""

    kommune: str
    name: str
    records: int
    overliggedogn: int
    betalingsplikt_nok: float
    unpriced_days: int


@dataclass(frozen=True, slots=True)
class AvvikReport:
    """Everything the renderers need; ``records`` are the selected records (retracted included), sorted."""

    helsefellesskap: str | None
    helsefellesskap_name: str
    start: date | None
    end: date | None
    totals: StatusCounts
    by_code: tuple[CodeRow, ...]
    by_kommune: tuple[GroupRow, ...]
    by_hf: tuple[GroupRow, ...]
    by_month: tuple[MonthRow, ...]
    betalingsplikt: tuple[BetalingspliktRow, ...]
    records: tuple[AvvikRecord, ...]
    assumed_dognpris_years: tuple[int, ...] = ()
    """Years of the SA05 records whose døgnpris is a configured assumption in master data (not published)."""

    @property
    def codes(self) -> tuple[str, ...]:
        """Codes with at least one counted avvik, sorted."""
        return tuple(row.code for row in self.by_code if row.counts.total)

    @property
    def overliggedogn_total(self) -> int:
        """Overliggedøgn over all kommuner."""
        return sum(row.overliggedogn for row in self.betalingsplikt)

    @property
    def betalingsplikt_total_nok(self) -> float:
        """Betalingsplikt NOK over all kommuner."""
        return sum(row.betalingsplikt_nok for row in self.betalingsplikt)


def _counts(records: Iterable[AvvikRecord]) -> StatusCounts:
    c = Counter(r.status for r in records)
    return StatusCounts(c[AvvikStatus.OPEN], c[AvvikStatus.RESOLVED], c[AvvikStatus.RETRACTED])


def _selected(
    records: Iterable[AvvikRecord], helsefellesskap: str | None, start: date | None, end: date | None
) -> list[AvvikRecord]:
    latest: dict[str, AvvikRecord] = {}
    for rec in records:
        latest[rec.avvik_id] = rec
    out = []
    for rec in latest.values():
        day = oslo_date(rec.detected_at)
        if helsefellesskap is not None and rec.helsefellesskap != helsefellesskap:
            continue
        if (start is not None and day < start) or (end is not None and day > end):
            continue
        out.append(rec)
    return sorted(out, key=lambda r: (r.detected_at, r.avvik_id))


class _Names:
    def __init__(self, masterdata: MasterData | None) -> None:
        self.md = masterdata

    def kommune(self, number: str, on: date) -> str:
        if self.md is None or number == UNKNOWN:
            return ""
        row = self.md.kommune(number, on)
        if row is None:
            rows = [k for k in self.md.kommuner if k.kommunenummer == number]
            return rows[-1].name if rows else ""
        return row.name

    def hf(self, hf_id: str) -> str:
        hf = self.md.helseforetak.get(hf_id) if self.md else None
        return hf.name if hf else ""

    def helsefellesskap(self, hfs_id: str | None) -> str:
        if hfs_id is None:
            return "Alle helsefellesskap"
        hfs = self.md.helsefellesskap.get(hfs_id) if self.md else None
        return hfs.name if hfs else hfs_id


def _groups(records: list[AvvikRecord], key: str, names: _Names, name_of: str) -> tuple[GroupRow, ...]:
    grouped: dict[str, list[AvvikRecord]] = defaultdict(list)
    for rec in records:
        grouped[getattr(rec, key) or UNKNOWN].append(rec)
    rows = []
    for k, recs in sorted(grouped.items()):
        if k == UNKNOWN:
            name = "ikke oppgitt"
        elif name_of == "kommune":
            name = names.kommune(k, oslo_date(recs[-1].detected_at))
        else:
            name = names.hf(k)
        rows.append(GroupRow(k, name, _counts(recs)))
    return tuple(rows)


def _months(start: date | None, end: date | None) -> list[str]:
    """Every ``YYYY-MM`` from ``start`` to ``end`` (empty when either is open)."""
    if start is None or end is None:
        return []
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build_report(
    records: Iterable[AvvikRecord],
    *,
    helsefellesskap: str | None = None,
    start: date | None = None,
    end: date | None = None,
    masterdata: MasterData | None = None,
) -> AvvikReport:
    """Aggregate the records of ``helsefellesskap`` (None: all) detected in ``[start, end]`` (Oslo days)."""
    if start is not None and end is not None and end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    names = _Names(masterdata)
    selected = _selected(records, helsefellesskap, start, end)
    counted = [r for r in selected if r.status is not AvvikStatus.RETRACTED]

    by_code: list[CodeRow] = []
    for code in sorted({r.code for r in selected}):
        recs = [r for r in selected if r.code == code]
        delays = [
            r.delay_seconds for r in recs if r.status is AvvikStatus.RESOLVED and r.delay_seconds is not None
        ]
        entry = CATALOGUE.get(code)
        by_code.append(
            CodeRow(
                code=code,
                title_no=entry.title_no if entry else code,
                counts=_counts(recs),
                median_delay_seconds=float(statistics.median(delays)) if delays else None,
                delays=len(delays),
            )
        )

    months: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in counted:
        months[oslo_date(rec.detected_at).strftime("%Y-%m")][rec.code] += 1
    for month in _months(start, end):
        months.setdefault(month, Counter())
    by_month = tuple(MonthRow(m, tuple(sorted(c.items()))) for m, c in sorted(months.items()))

    sa05: dict[str, list[AvvikRecord]] = defaultdict(list)
    for rec in counted:
        if rec.code == "SA05":
            sa05[rec.kommune or UNKNOWN].append(rec)
    betalingsplikt = tuple(
        BetalingspliktRow(
            kommune=k,
            name=names.kommune(k, oslo_date(recs[-1].detected_at)),
            records=len(recs),
            overliggedogn=sum(r.overliggedogn or 0 for r in recs),
            betalingsplikt_nok=sum(r.betalingsplikt_nok or 0.0 for r in recs),
            unpriced_days=sum(r.unpriced_days for r in recs),
        )
        for k, recs in sorted(sa05.items())
    )

    return AvvikReport(
        helsefellesskap=helsefellesskap,
        helsefellesskap_name=names.helsefellesskap(helsefellesskap),
        start=start,
        end=end,
        totals=_counts(selected),
        by_code=tuple(by_code),
        by_kommune=_groups(selected, "kommune", names, "kommune"),
        by_hf=_groups(selected, "hf", names, "hf"),
        by_month=by_month,
        betalingsplikt=betalingsplikt,
        records=tuple(selected),
        assumed_dognpris_years=_assumed_years(selected, masterdata),
    )


def _assumed_years(records: Iterable[AvvikRecord], masterdata: MasterData | None) -> tuple[int, ...]:
    if masterdata is None:
        return ()
    years = {oslo_date(r.detected_at).year for r in records if r.code == "SA05"}
    return tuple(sorted(y for y in years if masterdata.dognpris_assumed(y)))
