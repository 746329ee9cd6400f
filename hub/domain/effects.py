"""What the engine returns: a list of effects for the stream worker to produce.

* :class:`AvvikUpsert` -> ``samhandling.avvik`` (compacted, key ``record.avvik_id``)
* :class:`PathwayChanged` -> ``samhandling.pathway.state`` (compacted, key ``pseudonym``; ``summary`` None =
  tombstone: the patient's history was pruned)
* :class:`BedDelta` and :class:`CapacitySet` -> the bed-metrics agent (:class:`hub.domain.beds.BedLedger`)
* :class:`JudgementFailed` -> the dead-letter topic: the core raised while judging a patient at a deadline
* :class:`ApplyFailed` -> the dead-letter topic: the core raised on one deferred event (``Engine.settle``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hub.domain.avvik import AvvikRecord
from hub.domain.beds import BedDelta
from hub.domain.pathway import PathwaySummary


@dataclass(frozen=True, slots=True)
class AvvikUpsert:
    """A new or changed avvik record (OPEN, RESOLVED or RETRACTED)."""

    record: AvvikRecord


@dataclass(frozen=True, slots=True)
class PathwayChanged:
    """The patient's pathway summary changed (None: the state was pruned away entirely)."""

    pseudonym: str
    summary: PathwaySummary | None


@dataclass(frozen=True, slots=True)
class CapacitySet:
    """BED_CAPACITY_SET: ``beds`` beds in a unit from ``valid_from``."""

    unit_id: str
    unit_kind: str
    beds: int
    valid_from: date
    hf: str | None
    kommunenummer: str | None


@dataclass(frozen=True, slots=True)
class JudgementFailed:
    """The core raised while judging a patient at a deadline (a bug met by that patient's facts).

    The patient's state is left as before that judgement and its wake-up is dropped, so the other patients
    of the partition go on; the patient is judged again at its next event. The state still lists the
    deadline, so a restarted worker (``Engine.register``) tries it once more: one report per failing patient
    per restart. While its judgement fails the patient is not pruned either (pruning follows the rules).
    The caller must report it (the worker dead-letters it): nothing the core fails on may pass silently.
    """

    pseudonym: str
    error: str
    """The exception's type and message."""
    exc: BaseException | None = field(default=None, compare=False, repr=False)
    """The exception itself, for its traceback (the worker logs it; ``hub evaluate`` raises from it)."""


@dataclass(frozen=True, slots=True)
class ApplyFailed:
    """The core raised on one event recorded by ``Engine.defer`` (a bug met by that event).

    Found at ``Engine.settle``: the patient's judgement failed, so its events of the batch were applied again
    one at a time, as ``Engine.apply`` does, and this one raised there. The patient's state is as if this
    event had never come; the caller dead-letters the event, as it does when ``apply`` raises.
    """

    event_id: str
    error: str
    """The exception's type and message."""
    exc: BaseException | None = field(default=None, compare=False, repr=False)


Effect = AvvikUpsert | PathwayChanged | BedDelta | CapacitySet | JudgementFailed | ApplyFailed

__all__ = [
    "ApplyFailed",
    "AvvikUpsert",
    "BedDelta",
    "CapacitySet",
    "Effect",
    "JudgementFailed",
    "PathwayChanged",
]
