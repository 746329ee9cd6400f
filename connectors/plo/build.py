"""Turning what a mapper found (drafts) into canonical events: ids, source, patient, organisation, correction.

Event ids are ``make_event_id(PLO, system, message id, event type, seq)`` (``seq`` numbers events of one type
in one message, e.g. the services of an Orientering om tjenestetilbud); a message with Forsendelsesstatus
M (Endring) or C (Kansellering) carries a :class:`Correction` whose target is the id the *referenced*
message (MsgHead ``ConversationRef/RefToParent``) produced for the same event type and seq — so a replacement
lines up with what the original caused, event by event.

A mapper that finds nothing to map in a valid message returns :class:`NotMapped` with the reason: the message
is accepted (AppRec OK) with no canonical event. That is an outcome, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError as PydanticValidationError

from hub.errors import UnsupportedMessage, ValidationError
from hub.events import (
    Body,
    Correction,
    CorrectionAction,
    Event,
    EventType,
    Organisation,
    Patient,
    Source,
    SourceKind,
    make_event_id,
)

STATUS_ACTION = {"N": CorrectionAction.NEW, "M": CorrectionAction.REPLACE, "C": CorrectionAction.CANCEL}
"""Forsendelsesstatus (code list 7309) -> correction action. ``A`` is not mapped (see README)."""


@dataclass(frozen=True, slots=True)
class Draft:
    """One event a mapper wants: its type, body and event time."""

    event_type: EventType
    body: Body
    occurred_at: datetime
    seq: int = 0


@dataclass(frozen=True, slots=True)
class NotMapped:
    """A valid message the hub derives no canonical event from, and why."""

    reason: str


Drafts = list[Draft] | NotMapped
"""What a mapper returns: the events it wants, or why there are none."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Envelope facts shared by all events of one message."""

    system: str
    message_id: str
    recorded_at: datetime
    status: str = "N"
    ref_to_parent: str | None = None
    sender_her_id: str | None = None
    sender_org: str | None = None
    event_key: str | None = None
    """Id the event ids are made from when it is not the message id (Epikrise: its document id)."""
    parent_key: str | None = None
    """Id the corrected message's events were made from, when not ``ref_to_parent``."""


def system_name(her_id: str | None, fallback: str | None) -> str:
    """The source system: the sender's HER-id when the message names it, else the configured system."""
    if her_id:
        return f"her:{her_id}"
    return fallback or "plo"


def correction(origin: Origin, event_type: EventType, seq: int = 0) -> Correction | None:
    """The correction an M/C message carries for event ``seq`` of ``event_type``; None for a new message."""
    action = STATUS_ACTION.get(origin.status)
    if action is None:
        raise UnsupportedMessage(
            f"Forsendelsesstatus {origin.status!r} is not mapped (N, M and C are)", code="status"
        )
    if action is CorrectionAction.NEW:
        return None
    parent = origin.parent_key or origin.ref_to_parent
    if not parent:
        raise ValidationError(
            f"Forsendelsesstatus {origin.status} needs ConversationRef/RefToParent naming the message",
            code="reference",
            location="MsgInfo/ConversationRef",
        )
    target = make_event_id(SourceKind.PLO, origin.system, parent, event_type, seq)
    return Correction(action=action, target_event_id=target)


def build_events(
    origin: Origin,
    drafts: Sequence[Draft],
    *,
    patient: Patient | None,
    organisation: Organisation,
) -> list[Event]:
    """Canonical events for the drafts of one message; a value the canonical model refuses (an id longer than
    it allows) is a :class:`ValidationError` naming the field, never a crash."""
    try:
        return _events(origin, drafts, patient=patient, organisation=organisation)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise ValidationError(
            f"a value does not fit the canonical event: {first['type']} at {where or 'event'}: "
            f"{first['msg']}",
            code="field",
        ) from None


def _events(
    origin: Origin,
    drafts: Sequence[Draft],
    *,
    patient: Patient | None,
    organisation: Organisation,
) -> list[Event]:
    source = Source(
        kind=SourceKind.PLO,
        system=origin.system,
        message_id=origin.message_id,
        sender_her_id=origin.sender_her_id,
        sender_org=origin.sender_org,
    )
    events = []
    for draft in drafts:
        events.append(
            Event(
                event_id=make_event_id(
                    SourceKind.PLO,
                    origin.system,
                    origin.event_key or origin.message_id,
                    draft.event_type,
                    draft.seq,
                ),
                event_type=draft.event_type,
                occurred_at=draft.occurred_at,
                recorded_at=origin.recorded_at,
                source=source,
                patient=patient,
                organisation=organisation,
                correction=correction(origin, draft.event_type, draft.seq),
                body=draft.body,
            )
        )
    return events
