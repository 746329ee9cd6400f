"""Facts: the compact, serialisable form of a canonical event kept in a patient's state.

A :class:`Fact` keeps only what the rules, the pathway and the bed accounting need. ``attrs`` holds the
type-specific values in a fixed order per event type (see the accessors at the bottom). ``origin`` is the
event id of the message a REPLACE (PLO M) chain started from, so an amended message keeps the avvik ids of
the message it amends.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from hub.domain.organisations import Places
from hub.domain.timeutil import to_epoch
from hub.events import (
    Admission,
    Death,
    Dialogue,
    Discharge,
    EpisodeRef,
    Event,
    EventType,
    KadAdmission,
    KadDischarge,
    ManualAvvik,
    Mission,
    MunicipalService,
    Notice,
    Rejection,
    Report,
    Response,
    Transfer,
)

# Types whose source message id is kept: an AppRec rejection names them by that id.
REJECTABLE = frozenset(
    {
        EventType.MUNICIPALITY_NOTIFIED,
        EventType.MUNICIPALITY_RESPONDED,
        EventType.INNLEGGELSESRAPPORT_SENT,
        EventType.UTSKRIVNINGSRAPPORT_SENT,
        EventType.EPIKRISE_SENT,
    }
)


HOSPITAL_TYPES = frozenset(
    {
        EventType.ADMITTED,
        EventType.TRANSFERRED,
        EventType.DISCHARGED,
        EventType.ADMISSION_CANCELLED,
        EventType.DISCHARGE_CANCELLED,
        EventType.DECLARED_READY,
        EventType.READY_WITHDRAWN,
        EventType.MUNICIPALITY_NOTIFIED,
        EventType.MUNICIPALITY_RESPONDED,
        EventType.INNLEGGELSESRAPPORT_SENT,
        EventType.UTSKRIVNINGSRAPPORT_SENT,
        EventType.EPIKRISE_SENT,
        EventType.DIED,
    }
)
"""Event types that concern a hospital stay (their stay id is matched across sources)."""

SORT_KEY = attrgetter("t", "id")
"""Deterministic order of facts: event time, then event id (C-level key function)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as remembered in the state."""

    id: str
    type: EventType
    t: int
    ep: str | None = None
    unit: str | None = None
    unit_kind: str | None = None
    hf: str | None = None
    kommune: str | None = None
    mid: str | None = None
    attrs: tuple[str, ...] = ()
    origin: str | None = None

    @property
    def anchor(self) -> str:
        """The event id avvik are anchored on: the original message of a REPLACE chain."""
        return self.origin or self.id

    @property
    def sort_key(self) -> tuple[int, str]:
        """Deterministic order: event time, then event id."""
        return (self.t, self.id)

    def attr(self, index: int) -> str:
        """The ``index``-th type-specific value, or '' when absent."""
        return self.attrs[index] if index < len(self.attrs) else ""

    def to_list(self) -> list[Any]:
        """Compact JSON-able form (positional; trailing empty fields dropped)."""
        row: list[Any] = [
            self.id,
            self.type.value,
            self.t,
            self.ep,
            self.unit,
            self.unit_kind,
            self.hf,
            self.kommune,
            self.mid,
            list(self.attrs),
            self.origin,
        ]
        while row and row[-1] in (None, []):
            row.pop()
        return row

    @classmethod
    def from_list(cls, row: list[Any]) -> Fact:
        """Inverse of :meth:`to_list`."""
        padded = list(row) + [None] * (11 - len(row))
        return cls(
            id=padded[0],
            type=EventType(padded[1]),
            t=int(padded[2]),
            ep=padded[3],
            unit=padded[4],
            unit_kind=padded[5],
            hf=padded[6],
            kommune=padded[7],
            mid=padded[8],
            attrs=tuple(padded[9] or ()),
            origin=padded[10],
        )


def _attrs(event: Event) -> tuple[str | None, tuple[str, ...]]:  # noqa: PLR0911, PLR0912 - one branch per body kind
    """(episode key, type-specific values) of an event body."""
    body = event.body
    match body:
        case Admission():
            return body.episode_id, (body.hastegrad.value, body.from_place.value, body.care_area.value)
        case Transfer():
            return body.episode_id, (body.to_unit_id or "",)
        case Discharge():
            return body.episode_id, (body.destination.value,)
        case EpisodeRef():
            return body.episode_id, ()
        case Death():
            return body.episode_id, ()
        case Notice():
            return body.episode_id, (body.notice.value,)
        case Response():
            receive = body.receive_date.isoformat() if body.receive_date else ""
            return body.episode_id, ("1" if body.can_receive else "0", receive)
        case Report():
            return body.episode_id, ()
        case Rejection():
            return body.episode_id, (body.rejected_message_id, body.message_type or "", body.error_code or "")
        case KadAdmission():
            return body.stay_id, (body.bed_kind.value, body.referred_by.value)
        case KadDischarge():
            return body.stay_id, (body.destination.value,)
        case MunicipalService():
            return body.service_id, (body.service.value,)
        case Mission():
            dest = body.destination.value if body.destination else ""
            return body.mission_id, (body.hastegrad.value, body.area.value, dest)
        case ManualAvvik():
            return None, (body.category,)
        case Dialogue():  # a Dialogmelding question or answer: kept on the pathway by conversation
            return body.conversation_id, (body.in_reply_to or "", body.topic_code or "")
        case _:
            return None, ()


def fact_from_event(event: Event, origin: str | None = None, places: Places | None = None) -> Fact:
    """The compact fact of a canonical event (free text such as a manual avvik's text is not kept).

    With ``places``, the fact's helseforetak and unit are those master data gives for the source's codes
    (:mod:`hub.domain.organisations`), so facts of one stay from different sources compare.
    """
    episode, attrs = _attrs(event)
    org = event.organisation
    unit = org.unit_id
    hf = org.hf
    if places is not None:
        if event.event_type in HOSPITAL_TYPES:
            hf = places.hf(org, episode)
        unit = places.unit(unit)
        if event.event_type is EventType.TRANSFERRED and attrs and attrs[0]:
            attrs = (places.unit(attrs[0]) or "", *attrs[1:])
    if event.event_type is EventType.TRANSFERRED and attrs and attrs[0]:
        unit = attrs[0]
    return Fact(
        id=event.event_id,
        type=event.event_type,
        t=to_epoch(event.occurred_at),
        ep=episode,
        unit=unit,
        unit_kind=org.unit_kind.value if org.unit_kind else None,
        hf=hf,
        kommune=org.kommunenummer,
        mid=event.source.message_id if event.event_type in REJECTABLE else None,
        attrs=attrs,
        origin=origin,
    )
