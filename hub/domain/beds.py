"""Per-unit bed occupancy accounting.

The engine derives *bed segments* (one patient in one unit from a start to an end) from each patient's
episodes and publishes the difference to what it published before as :class:`BedDelta` (+1 / -1 at an
event time; a retraction publishes the reverse deltas with ``reversal=True``). :class:`BedLedger` folds deltas
into per-unit figures. Folding is commutative (sums of signed deltas), so the ledger ends up the same
whatever order deltas arrive in, and a cancelled admission leaves no trace.

Across the worker's topics the deltas are only a signal of *which* segments changed (each names its
segment and ``owner``, the patient's pseudonym): the worker sends the segment's current, absolute state
(:func:`segment_deltas` turns a change of that state back into deltas for the ledger), so a record delivered
twice, or sent again after a crash, cannot count a bed twice or lose one.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hub.domain import ids
from hub.domain.episodes import Episodes
from hub.domain.facts import SORT_KEY
from hub.domain.timeutil import DAY, local_date, to_epoch

UNKNOWN_UNIT = "UNKNOWN"


class Movement(StrEnum):
    """Why a unit's occupancy changed."""

    ADMISSION = "ADMISSION"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"
    DISCHARGE = "DISCHARGE"


@dataclass(frozen=True, slots=True)
class BedSegment:
    """One patient in one unit from ``start`` to ``end`` (None while there)."""

    segment_id: str
    unit_id: str
    unit_kind: str | None
    hf: str | None
    kommunenummer: str | None
    start: int
    end: int | None
    first_in_stay: bool
    last_in_stay: bool
    owner: str | None = None
    """The patient's pseudonym (so a change of the segment can be traced to the patient's state); None in
    segments stored before it was recorded."""

    def to_list(self) -> list[Any]:
        """Compact JSON-able form."""
        return [
            self.segment_id,
            self.unit_id,
            self.unit_kind,
            self.hf,
            self.kommunenummer,
            self.start,
            self.end,
            self.first_in_stay,
            self.last_in_stay,
            self.owner,
        ]

    @classmethod
    def from_list(cls, row: list[Any]) -> BedSegment:
        """Inverse of :meth:`to_list` (also of the older form without the owner)."""
        owner = row[9] if len(row) > 9 else None
        return cls(
            row[0], row[1], row[2], row[3], row[4], int(row[5]), row[6], bool(row[7]), bool(row[8]), owner
        )


@dataclass(frozen=True, slots=True)
class BedDelta:
    """Occupancy of ``unit_id`` changes by ``delta`` at ``at`` (epoch seconds). No patient identifier."""

    unit_id: str
    unit_kind: str | None
    hf: str | None
    kommunenummer: str | None
    at: int
    delta: int
    movement: Movement
    segment_id: str
    segment_start: int
    reversal: bool = False
    owner: str | None = None
    """Pseudonym of the patient whose segment changed (never published: it tells the worker whose current
    segments to send)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "unit_id": self.unit_id,
            "unit_kind": self.unit_kind,
            "hf": self.hf,
            "kommunenummer": self.kommunenummer,
            "at": self.at,
            "delta": self.delta,
            "movement": self.movement.value,
            "segment_id": self.segment_id,
            "segment_start": self.segment_start,
            "reversal": self.reversal,
        }


def derive_segments(pseudonym: str, eps: Episodes) -> dict[str, BedSegment]:
    """Bed segments of hospital stays (split at transfers) and municipal bed stays."""
    result: dict[str, BedSegment] = {}
    for stay in eps.valid_stays():
        moves = sorted(stay.units, key=SORT_KEY)
        for i, move in enumerate(moves):
            last = i == len(moves) - 1
            end = stay.end if last else moves[i + 1].t
            seg = BedSegment(
                segment_id=ids.segment_id(pseudonym, stay.key, move.anchor),
                unit_id=move.unit or UNKNOWN_UNIT,
                unit_kind=move.unit_kind,
                hf=move.hf,
                kommunenummer=move.kommune,
                start=move.t,
                end=end,
                first_in_stay=i == 0,
                last_in_stay=last,
                owner=pseudonym,
            )
            result[seg.segment_id] = seg
    for kad in eps.kad.values():
        if kad.admitted is None:
            continue
        adm = kad.admitted
        seg = BedSegment(
            segment_id=ids.segment_id(pseudonym, kad.key, adm.anchor),
            unit_id=adm.unit or UNKNOWN_UNIT,
            unit_kind=adm.unit_kind or adm.attr(0) or None,
            hf=adm.hf,
            kommunenummer=adm.kommune,
            start=adm.t,
            end=kad.end,
            first_in_stay=True,
            last_in_stay=True,
            owner=pseudonym,
        )
        result[seg.segment_id] = seg
    return result


def _arrive(seg: BedSegment, sign: int, reversal: bool) -> BedDelta:
    movement = Movement.ADMISSION if seg.first_in_stay else Movement.TRANSFER_IN
    return BedDelta(
        seg.unit_id,
        seg.unit_kind,
        seg.hf,
        seg.kommunenummer,
        seg.start,
        sign,
        movement,
        seg.segment_id,
        seg.start,
        reversal,
        seg.owner,
    )


def _leave(seg: BedSegment, end: int, sign: int, reversal: bool, last: bool) -> BedDelta:
    movement = Movement.DISCHARGE if last else Movement.TRANSFER_OUT
    return BedDelta(
        seg.unit_id,
        seg.unit_kind,
        seg.hf,
        seg.kommunenummer,
        end,
        -sign,
        movement,
        seg.segment_id,
        seg.start,
        reversal,
        seg.owner,
    )


def diff_segments(old: dict[str, BedSegment], new: dict[str, BedSegment]) -> list[BedDelta]:
    """Deltas that turn the published ``old`` segments into ``new`` (deterministic order)."""
    deltas: list[BedDelta] = []
    for sid in sorted(old.keys() | new.keys()):
        before, after = old.get(sid), new.get(sid)
        if before == after or (before is not None and after is not None and _same_place(before, after)):
            continue
        if before is not None and (
            after is None or (before.unit_id, before.start) != (after.unit_id, after.start)
        ):
            deltas.append(_arrive(before, -1, True))
            if before.end is not None:
                deltas.append(_leave(before, before.end, -1, True, before.last_in_stay))
            before = None
        if after is None:
            continue
        if before is None:
            deltas.append(_arrive(after, +1, False))
            if after.end is not None:
                deltas.append(_leave(after, after.end, +1, False, after.last_in_stay))
            continue
        if before.end != after.end or before.last_in_stay != after.last_in_stay:
            if before.end is not None:
                deltas.append(_leave(before, before.end, -1, True, before.last_in_stay))
            if after.end is not None:
                deltas.append(_leave(after, after.end, +1, False, after.last_in_stay))
    return deltas


def _same_place(before: BedSegment, after: BedSegment) -> bool:
    """Equal but for the owner (a segment stored before owners were recorded): nothing to publish."""
    return before.to_list()[:9] == after.to_list()[:9]


def segment_deltas(before: BedSegment | None, after: BedSegment | None) -> list[BedDelta]:
    """Deltas that turn one segment's state ``before`` into ``after`` (None: not in the unit)."""
    old = {} if before is None else {before.segment_id: before}
    new = {} if after is None else {after.segment_id: after}
    return diff_segments(old, new)


@dataclass(slots=True)
class _UnitBook:
    unit_kind: str | None = None
    hf: str | None = None
    kommunenummer: str | None = None
    changes: list[tuple[int, int]] = field(default_factory=list)
    total: int = 0
    """Sum of the deltas in ``changes``: the occupancy now is ``base + total``."""
    base: int = 0
    base_until: int = 0
    admissions: dict[date, int] = field(default_factory=dict)
    discharges: dict[date, int] = field(default_factory=dict)
    los_seconds: int = 0
    los_count: int = 0
    capacity: list[tuple[date, int]] = field(default_factory=list)


class BedLedger:
    """Per-unit occupancy from :class:`BedDelta` and capacity; pure, no clock of its own.

    ``occupied(unit)`` beds now; ``census(unit, at)`` occupancy at an instant (midnight census);
    ``bed_days(unit, start, end)`` occupied bed-days in a window; ``belegg`` = bed-days / available bed-days;
    ``admissions(unit, day)`` / ``discharges(unit, day)`` per Oslo day; ``mean_los_days(unit)`` over completed
    unit stays. ``compact(before)`` folds old changes into a base to bound memory.
    """

    __slots__ = ("_units",)

    def __init__(self) -> None:
        self._units: dict[str, _UnitBook] = {}

    def units(self) -> list[str]:
        """Known unit ids, sorted."""
        return sorted(self._units)

    def info(self, unit_id: str) -> tuple[str | None, str | None, str | None]:
        """(unit kind, HF, kommunenummer) of a unit as last seen."""
        book = self._units.get(unit_id)
        return (book.unit_kind, book.hf, book.kommunenummer) if book else (None, None, None)

    def _book(self, unit_id: str) -> _UnitBook:
        book = self._units.get(unit_id)
        if book is None:
            book = self._units[unit_id] = _UnitBook()
        return book

    def apply(self, delta: BedDelta) -> None:
        """Fold one delta in."""
        book = self._book(delta.unit_id)
        book.unit_kind = delta.unit_kind or book.unit_kind
        book.hf = delta.hf or book.hf
        book.kommunenummer = delta.kommunenummer or book.kommunenummer
        if delta.at < book.base_until:
            book.base += delta.delta
        else:
            bisect.insort(book.changes, (delta.at, delta.delta))
            book.total += delta.delta
        day = local_date(delta.at)
        sign = -1 if delta.reversal else 1
        if delta.movement is Movement.ADMISSION:
            book.admissions[day] = book.admissions.get(day, 0) + sign
        elif delta.movement is Movement.DISCHARGE:
            book.discharges[day] = book.discharges.get(day, 0) + sign
        if delta.movement in (Movement.DISCHARGE, Movement.TRANSFER_OUT):
            book.los_seconds += sign * (delta.at - delta.segment_start)
            book.los_count += sign

    def apply_all(self, deltas: Iterable[BedDelta]) -> None:
        """Fold many deltas in."""
        for delta in deltas:
            self.apply(delta)

    def set_capacity(self, unit_id: str, beds: int, valid_from: date, unit_kind: str | None = None) -> None:
        """Record that a unit has ``beds`` beds from ``valid_from``."""
        book = self._book(unit_id)
        book.unit_kind = unit_kind or book.unit_kind
        book.capacity = sorted([c for c in book.capacity if c[0] != valid_from] + [(valid_from, beds)])

    def capacity(self, unit_id: str, on: date) -> int | None:
        """Beds of a unit on a day, or None when unknown."""
        book = self._units.get(unit_id)
        if book is None:
            return None
        beds = None
        for valid_from, count in book.capacity:
            if valid_from <= on:
                beds = count
        return beds

    def occupied(self, unit_id: str) -> int:
        """Patients in the unit after every delta seen so far."""
        book = self._units.get(unit_id)
        return 0 if book is None else book.base + book.total

    def census(self, unit_id: str, at: datetime | int) -> int:
        """Patients in the unit at an instant (e.g. midnight census for liggedøgn)."""
        book = self._units.get(unit_id)
        if book is None:
            return 0
        t = at if isinstance(at, int) else to_epoch(at)
        changes = book.changes
        idx = bisect.bisect_right(changes, (t, 1 << 30))
        # sum the shorter side: snapshots ask for recent instants, and a unit keeps years of changes
        if idx * 2 >= len(changes):
            return book.base + book.total - sum(d for _, d in changes[idx:])
        return book.base + sum(d for _, d in changes[:idx])

    def bed_days(self, unit_id: str, start: datetime | int, end: datetime | int) -> float:
        """Occupied bed-days in ``[start, end)`` (integral of occupancy)."""
        book = self._units.get(unit_id)
        if book is None:
            return 0.0
        t0 = start if isinstance(start, int) else to_epoch(start)
        t1 = end if isinstance(end, int) else to_epoch(end)
        level = self.census(unit_id, t0)
        total = 0
        cursor = t0
        idx = bisect.bisect_right(book.changes, (t0, 1 << 30))
        for at, delta in book.changes[idx:]:
            if at >= t1:
                break
            total += level * (at - cursor)
            level += delta
            cursor = at
        total += level * (t1 - cursor)
        return total / DAY

    def belegg(self, unit_id: str, start: datetime | int, end: datetime | int) -> float | None:
        """Occupancy: occupied bed-days / available bed-days (capacity on the start day), None if unknown."""
        t0 = start if isinstance(start, int) else to_epoch(start)
        t1 = end if isinstance(end, int) else to_epoch(end)
        beds = self.capacity(unit_id, local_date(t0))
        if not beds or t1 <= t0:
            return None
        return self.bed_days(unit_id, t0, t1) / (beds * (t1 - t0) / DAY)

    def admissions(self, unit_id: str, day: date) -> int:
        """Admissions to the unit on an Oslo day (transfers in excluded)."""
        book = self._units.get(unit_id)
        return book.admissions.get(day, 0) if book else 0

    def discharges(self, unit_id: str, day: date) -> int:
        """Discharges from the unit on an Oslo day (transfers out excluded)."""
        book = self._units.get(unit_id)
        return book.discharges.get(day, 0) if book else 0

    def mean_los_days(self, unit_id: str) -> float | None:
        """Average length of completed unit stays in days, or None."""
        book = self._units.get(unit_id)
        if book is None or book.los_count <= 0:
            return None
        return book.los_seconds / book.los_count / DAY

    def compact(self, before: int) -> None:
        """Fold changes before ``before`` into the base (census/bed-days before it are then unavailable)."""
        for book in self._units.values():
            idx = bisect.bisect_left(book.changes, (before, -(1 << 30)))
            folded = sum(d for _, d in book.changes[:idx])
            book.base += folded
            book.total -= folded
            del book.changes[:idx]
            book.base_until = max(book.base_until, before)
