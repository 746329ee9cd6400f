"""AMK mission events (JSON, one object per message) → canonical ambulance events.

Patient key. The canonical event needs a patient, but a mission often starts before anyone knows who the
patient is. So:

* with ``patient_id`` (fødselsnummer / D-nummer, or the redaction token that replaced it) the events carry the
  person's pseudonym, like every other source;
* without it, the events carry a *mission pseudonym*: the keyed HMAC of ``mission:<amk_central>:<mission_id>``
  under the active pseudonym key (``key_id`` says which). Every event of that mission then shares one key.
  Limitation: a mission pseudonym cannot be linked to the hospital stay that follows; only events that name
  the patient number join the patient's pathway. A replay after a key rotation recomputes mission pseudonyms
  under the new key (they are not person pseudonyms, so no token keeps the old one).

Redaction: ``patient_id`` is replaced by the person's token; the model forbids any other field, so no name,
address or phone number can be in an accepted message. The redacted payload is the validated object
re-serialised, so ``to_events(redacted) == to_events(original)``.
"""

from __future__ import annotations

import json
from typing import Final

import pydantic

from connectors.ambulance.model import MissionEvent
from connectors.formats import Accepted, MappingContext
from hub.errors import IdentityError, ParseError, ValidationError
from hub.events import (
    AmbulanceHastegrad,
    Area,
    Event,
    EventType,
    Mission,
    Organisation,
    Patient,
    Place,
    Sex,
    Source,
    SourceKind,
    UnitKind,
    make_event_id,
)

MAX_BYTES: Final = 64 * 1024

HASTEGRAD: Final[dict[str, AmbulanceHastegrad]] = {
    "akutt": AmbulanceHastegrad.AKUTT,
    "rød": AmbulanceHastegrad.AKUTT,
    "haster": AmbulanceHastegrad.HASTER,
    "gul": AmbulanceHastegrad.HASTER,
    "vanlig": AmbulanceHastegrad.VANLIG,
    "grønn": AmbulanceHastegrad.VANLIG,
}
AREA: Final[dict[str, Area]] = {"tettsted": Area.TETTSTED, "rural": Area.RURAL}
DESTINATION: Final[dict[str, Place]] = {
    "akuttmottak": Place.HOSPITAL,
    "kad": Place.KAD,
    "legevakt": Place.LEGEVAKT,
    "other": Place.OTHER,
}


def format_pydantic_errors(exc: pydantic.ValidationError) -> list[dict[str, str]]:
    """Pydantic errors as ``{"loc": "a.b", "msg": ...}``, never echoing input values (may hold an fnr)."""
    return [
        {"loc": ".".join(str(part) for part in err["loc"]) or "(root)", "msg": err["msg"]}
        for err in exc.errors()
    ]


def parse(payload: bytes) -> MissionEvent:
    """Parse and validate one message; raise :class:`ParseError` or :class:`ValidationError`."""
    if len(payload) > MAX_BYTES:
        raise ValidationError(f"message is larger than {MAX_BYTES} bytes")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:  # ValueError: bad JSON, or an int over 4300 digits
        raise ParseError(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply") from exc
    if not isinstance(data, dict):
        raise ValidationError("a mission event is one JSON object", location="(root)")
    try:
        return MissionEvent.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = format_pydantic_errors(exc)
        text = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors)
        raise ValidationError(f"mission event breaks its schema: {text}", location=errors[0]["loc"]) from exc


def _patient(event: MissionEvent, ctx: MappingContext) -> tuple[Patient, str | None]:
    """The event's patient and the token that replaces ``patient_id`` in the redacted payload."""
    pseudonymiser = ctx.pseudonymiser
    if event.patient_id is not None:
        try:
            person = pseudonymiser.resolve(event.patient_id, today=ctx.received_at.date())
        except IdentityError as exc:
            raise ValidationError(f"patient_id: {exc}", code="identity", location="patient_id") from exc
        return person.to_patient(), person.token
    pseudonym = pseudonymiser.pseudonym_of(f"mission:{event.amk_central}:{event.mission_id}")
    return Patient(pseudonym=pseudonym, key_id=pseudonymiser.active_key_id, sex=Sex.UNKNOWN), None


def system_of(event: MissionEvent, ctx: MappingContext) -> str:
    """The sending system: the context's (connector configuration) or ``AMK <central>``."""
    return ctx.system or f"AMK {event.amk_central}"


def _map(event: MissionEvent, patient: Patient, ctx: MappingContext) -> Event:
    system = system_of(event, ctx)
    event_type = EventType(event.status)
    destination = event.destination
    return Event(
        event_id=make_event_id(SourceKind.AMBULANCE, system, event.message_id, event_type),
        event_type=event_type,
        occurred_at=event.occurred_at,
        recorded_at=ctx.received_at,
        source=Source(kind=SourceKind.AMBULANCE, system=system, message_id=event.message_id),
        patient=patient,
        organisation=Organisation(
            unit_id=event.amk_central, unit_kind=UnitKind.AMK, kommunenummer=event.kommunenummer
        ),
        body=Mission(
            mission_id=event.mission_id,
            hastegrad=HASTEGRAD[event.hastegrad],
            area=AREA[event.area],
            destination=DESTINATION[destination.kind] if destination else None,
            destination_unit_id=destination.unit_id if destination else None,
        ),
    )


def redact(event: MissionEvent, token: str | None) -> bytes:
    """The message as it goes to the raw topic: ``patient_id`` replaced by the token."""
    redacted = event.model_copy(update={"patient_id": token})
    return redacted.model_dump_json(exclude_none=True).encode()


class AmbulanceFormat:
    """The ``ambulance`` format: one AMK mission event (JSON object) per message."""

    name = "ambulance"
    source_kind = SourceKind.AMBULANCE
    content_type = "application/json"

    def detect(self, payload: bytes) -> bool:
        """A JSON object naming a mission and a status."""
        head = payload.lstrip()[:1]
        return head == b"{" and b'"mission_id"' in payload and b'"status"' in payload

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse, validate, map and redact one mission event."""
        event = parse(payload)
        patient, token = _patient(event, ctx)
        mapped = _map(event, patient, ctx)
        return Accepted(
            message_id=event.message_id,
            system=system_of(event, ctx),
            redacted=redact(event, token),
            events=[mapped],
            sender=event.amk_central,
        )

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map an original or redacted mission event to its one canonical event."""
        event = parse(payload)
        patient, _ = _patient(event, ctx)
        return [_map(event, patient, ctx)]


FORMAT = AmbulanceFormat()
