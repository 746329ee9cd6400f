"""From the pathway agent to the beds agent: each bed segment's current, absolute state, not deltas.

The engine's :class:`hub.domain.BedDelta` effects say which segments changed; :func:`segment_records` sends,
for each changed segment and unit, a :class:`BedSegmentRecord` with the segment as the patient's state holds
it now (or ``present=False`` when the segment left that unit: a cancelled admission, a corrected unit). The
beds agent replaces its copy of the segment (:class:`agents.beds.BedsProcessor`), so a record delivered
twice, replayed in order after a crash, or sent again changes nothing.

After a restart the pathway table can be ahead of what was sent (a crash between the table write and the
send): :func:`restored_records` gives every segment of a restored patient again, and the withdrawals the
patient's table value remembers (:class:`agents.engines.TableStore` keeps them, because the segment itself is
gone from the state). Nothing is lost and nothing is counted twice.

The record carries no patient identifier beyond the segment id (a UUID derived from the pseudonym). It is an
internal record; it belongs with the other internal records in ``hub/events/internal.py`` (owned elsewhere),
and lives here until it moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime

from hub.domain import BedDelta, BedSegment, CapacitySet
from hub.events.enums import UnitKind
from hub.events.parts import Part

Withdrawal = tuple[str, str]
"""(segment id, unit id) of a segment that left a unit."""


class BedSegmentRecord(Part):
    """One bed segment's current state in one unit (key: unit id), or a unit's capacity change.

    ``present=False``: the segment is not (any longer) in this unit. ``segment_id`` None: a capacity record.
    """

    unit_id: str
    unit_kind: UnitKind | None = None
    hf: str | None = None
    kommunenummer: str | None = None
    segment_id: str | None = None
    present: bool = True
    start: datetime | None = None
    end: datetime | None = None
    first_in_stay: bool = True
    last_in_stay: bool = True
    capacity: int | None = None
    capacity_from: date | None = None


def _at(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _kind(value: str | None) -> UnitKind | None:
    try:
        return UnitKind(value) if value else None
    except ValueError:
        return UnitKind.OTHER


def present(seg: BedSegment) -> BedSegmentRecord:
    """The record of a segment as it is."""
    return BedSegmentRecord(
        unit_id=seg.unit_id,
        unit_kind=_kind(seg.unit_kind),
        hf=seg.hf,
        kommunenummer=seg.kommunenummer,
        segment_id=seg.segment_id,
        start=_at(seg.start),
        end=_at(seg.end),
        first_in_stay=seg.first_in_stay,
        last_in_stay=seg.last_in_stay,
    )


def withdrawn(segment_id: str, unit_id: str) -> BedSegmentRecord:
    """The record of a segment that is no longer in ``unit_id``."""
    return BedSegmentRecord(unit_id=unit_id, segment_id=segment_id, present=False)


def capacity_record(effect: CapacitySet) -> BedSegmentRecord:
    """The record of a unit's capacity change."""
    return BedSegmentRecord(
        unit_id=effect.unit_id,
        unit_kind=_kind(effect.unit_kind),
        hf=effect.hf,
        kommunenummer=effect.kommunenummer,
        capacity=effect.beds,
        capacity_from=effect.valid_from,
    )


def segment_records(
    deltas: Iterable[BedDelta], current: Callable[[str], Mapping[str, BedSegment]]
) -> tuple[list[BedSegmentRecord], dict[str, list[Withdrawal]]]:
    """The records for the segments ``deltas`` changed, and the withdrawals among them by patient.

    ``current(pseudonym)`` is the patient's segments as stored now (after the change). Each (segment, unit)
    gets one record however many deltas named it; a delta without owner (state from before owners were
    recorded) is skipped: its segment is sent again after the next restart (:func:`restored_records`).
    """
    records: list[BedSegmentRecord] = []
    gone: dict[str, list[Withdrawal]] = {}
    done: set[Withdrawal] = set()
    for delta in deltas:
        place = (delta.segment_id, delta.unit_id)
        if delta.owner is None or place in done:
            continue
        done.add(place)
        seg = current(delta.owner).get(delta.segment_id)
        if seg is not None and seg.unit_id == delta.unit_id:
            records.append(present(seg))
        else:
            records.append(withdrawn(*place))
            gone.setdefault(delta.owner, []).append(place)
    return records, gone


def restored_records(
    segments: Mapping[str, BedSegment], withdrawals: Iterable[Withdrawal]
) -> list[BedSegmentRecord]:
    """Every record a restored patient's beds agent copy must agree with: its segments and withdrawals."""
    here = {(seg.segment_id, seg.unit_id) for seg in segments.values()}
    records = [withdrawn(*place) for place in withdrawals if place not in here]
    records += [present(seg) for seg in sorted(segments.values(), key=lambda s: s.segment_id)]
    return records
