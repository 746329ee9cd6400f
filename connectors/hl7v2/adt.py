"""ADT trigger events to canonical events (the mapping tables are in ``codes.py`` and the README).

=======  =====================  ==============================================================
Trigger  Canonical event        Notes
=======  =====================  ==============================================================
A01      ADMITTED               PV1-4 → hastegrad, PV1-14 → from_place, PV1-10 → care area
A06      ADMITTED               outpatient → inpatient (e.g. from the emergency department)
A02      TRANSFERRED            PV1-6 prior location → from unit, PV1-3 → to unit
A12      TRANSFERRED            cancel transfer: PV1-3 holds the location before the transfer, PV1-6
                                the erroneous one, so it maps as a move back
A03      DISCHARGED             PV1-36 → destination (PID-30 = Y and no PV1-36 → DEAD)
A11      ADMISSION_CANCELLED    by episode (PV1-19); HL7 names no original message id
A13      DISCHARGE_CANCELLED    by episode (PV1-19)
A04      (none)                 outpatient registration is not a hospital stay; accepted, raw kept
A08      (none)                 patient information update: nothing canonical; accepted, raw kept
A40      rejected (AR)          merge of person identities cannot be applied to pseudonymous
                                pathways; dead-lettered for manual follow-up
other    rejected (AR)          UnsupportedMessage
=======  =====================  ==============================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pydantic

from connectors.formats import MappingContext
from connectors.hl7v2 import codes
from connectors.hl7v2.parse import Message, parse_timestamp
from hub.errors import IdentityError, UnsupportedMessage, ValidationError
from hub.events import (
    Admission,
    Body,
    Discharge,
    EpisodeRef,
    Event,
    EventType,
    Organisation,
    Patient,
    Sex,
    Source,
    SourceKind,
    Transfer,
    make_event_id,
)
from hub.identity import PseudonymousPerson

KOMMUNE = re.compile(r"^\d{4}$")

EVENT_FOR_TRIGGER: dict[str, EventType | None] = {
    "A01": EventType.ADMITTED,
    "A06": EventType.ADMITTED,
    "A02": EventType.TRANSFERRED,
    "A12": EventType.TRANSFERRED,
    "A03": EventType.DISCHARGED,
    "A11": EventType.ADMISSION_CANCELLED,
    "A13": EventType.DISCHARGE_CANCELLED,
    "A04": None,
    "A08": None,
}
REJECTED_TRIGGERS = {
    "A40": "A40 (merge patient) is not supported: pathways are keyed by pseudonym and a merge of person "
    "identities must be handled manually",
}


@dataclass(frozen=True, slots=True)
class Identity:
    """The person number chosen from PID-3: its repetition (1-based) and value."""

    repetition: int
    value: str


def trigger_of(msg: Message) -> str:
    """The ADT trigger event: MSH-9.2, else EVN-1."""
    return (msg.header.trigger_event or msg.get("EVN", 1)).strip().upper()


def check_header(msg: Message) -> str:
    """Check MSH-9/10/12 and return the trigger event; raise Unsupported/Validation errors."""
    header = msg.header
    if not header.control_id:
        raise ValidationError("MSH-10 message control id is missing", code="required", location="MSH-10")
    if len(header.control_id) > 199:
        raise ValidationError("MSH-10 is longer than 199 characters", code="too_long", location="MSH-10")
    if not re.fullmatch(r"2(\.\d+){1,2}", header.version):
        raise UnsupportedMessage(
            f"HL7 version {header.version[:20]!r} is not supported (2.x expected)",
            code="unsupported_version",
            location="MSH-12",
        )
    if header.message_type.upper() != "ADT":
        raise UnsupportedMessage(
            f"message type {header.message_type[:20]!r} is not supported (ADT expected)",
            code="unsupported_type",
            location="MSH-9",
        )
    trigger = trigger_of(msg)
    if trigger in REJECTED_TRIGGERS:
        raise UnsupportedMessage(REJECTED_TRIGGERS[trigger], code="unsupported_event", location="MSH-9")
    if trigger not in EVENT_FOR_TRIGGER:
        raise UnsupportedMessage(
            f"ADT trigger {trigger[:10]!r} is not mapped (A01-A04, A06, A08, A11-A13 are)",
            code="unsupported_event",
            location="MSH-9",
        )
    return trigger


def system_of(msg: Message, ctx: MappingContext) -> str:
    """Sending system: MSH-3 namespace id, else the connector's configured system."""
    system = msg.header.sending_application or (ctx.system or "")
    if not system:
        raise ValidationError("MSH-3 sending application is missing", code="required", location="MSH-3")
    if len(system) > 100:
        raise ValidationError("MSH-3 is longer than 100 characters", code="too_long", location="MSH-3")
    return system


def sender_her_id_of(msg: Message) -> str | None:
    """HER-id of the sender: MSH-4.2 when MSH-4.3 is ``HER``, or an ISO OID under the HER-id root."""
    uid, kind = msg.get("MSH", 4, 1, 2), msg.get("MSH", 4, 1, 3).upper()
    if kind == "HER" and uid.isdigit():
        return uid
    prefix = "2.16.578.1.12.4.1.2."
    if kind == "ISO" and uid.startswith(prefix) and uid[len(prefix) :].isdigit():
        return uid[len(prefix) :]
    return None


def find_identity(msg: Message) -> Identity | None:
    """The PID-3 repetition holding the person number: type code NNNOR, else a known assigning authority."""
    count = msg.repetitions("PID", 3)
    for rep in range(1, count + 1):
        if msg.get("PID", 3, rep, 5).upper() == codes.NNNOR and msg.get("PID", 3, rep, 1):
            return Identity(rep, msg.get("PID", 3, rep, 1))
    for rep in range(1, count + 1):
        authority = {msg.get("PID", 3, rep, 4, 1).upper(), msg.get("PID", 3, rep, 4, 2).upper()}
        if authority & codes.PERSON_ID_AUTHORITIES and msg.get("PID", 3, rep, 1):
            return Identity(rep, msg.get("PID", 3, rep, 1))
    return None


def resolve_person(msg: Message, ctx: MappingContext) -> PseudonymousPerson | None:
    """Validate and pseudonymise the person number (or read the redaction token); None if PID-3 has none."""
    identity = find_identity(msg)
    if identity is None:
        return None
    try:
        return ctx.pseudonymiser.resolve(identity.value)
    except IdentityError as exc:
        raise ValidationError(
            f"PID-3 person number is invalid: {exc}",
            code="identity",
            location=f"PID-3[{identity.repetition}]",
        ) from exc


def birth_year_of(value: str) -> int | None:
    """Year from PID-7 (only the year is kept)."""
    year = value[:4]
    if len(year) == 4 and year.isdigit() and 1880 <= int(year) <= 2200:
        return int(year)
    return None


def _kommuner(msg: Message) -> list[tuple[str, str]]:
    """(address type XAD-7, kommunenummer XAD-9) of every PID-11 address that has one."""
    found: list[tuple[str, str]] = []
    for rep in range(1, msg.repetitions("PID", 11) + 1):
        code = msg.get("PID", 11, rep, 9)
        if KOMMUNE.match(code):
            found.append((msg.get("PID", 11, rep, 7).upper(), code))
    return found


def bostedskommune_of(msg: Message) -> str | None:
    """PID-11 county/parish code (XAD-9) of the home address (type H), else of the first address with one."""
    found = _kommuner(msg)
    for kind, code in found:
        if kind == "H":
            return code
    return found[0][1] if found else None


def oppholdskommune_of(msg: Message) -> str | None:
    """PID-11 XAD-9 of a current/temporary address (HL7 table 0190 type C: oppholdsadresse), else None."""
    return next((code for kind, code in _kommuner(msg) if kind == "C"), None)


def patient_of(msg: Message, person: PseudonymousPerson) -> Patient:
    """The canonical patient: pseudonym, birth year and sex (from the number, else PID-7/PID-8), kommune."""
    sex = person.sex
    if sex is Sex.UNKNOWN:
        sex = {"F": Sex.FEMALE, "M": Sex.MALE}.get(msg.get("PID", 8).upper(), Sex.UNKNOWN)
    patient = person.to_patient(
        bostedskommune=bostedskommune_of(msg), oppholdskommune=oppholdskommune_of(msg)
    )
    return patient.model_copy(
        update={"birth_year": person.birth_year or birth_year_of(msg.get("PID", 7)), "sex": sex}
    )


def occurred_at_of(msg: Message) -> tuple[str, str]:
    """(value, location) of the event time: EVN-6, else EVN-2, else MSH-7."""
    for value, location in (
        (msg.get("EVN", 6), "EVN-6"),
        (msg.get("EVN", 2), "EVN-2"),
        (msg.get("MSH", 7), "MSH-7"),
    ):
        if value:
            return value, location
    raise ValidationError("no event time (EVN-6, EVN-2 or MSH-7)", code="required", location="EVN-2")


def episode_of(msg: Message) -> str:
    """PV1-19 visit number, the hospital stay id."""
    if not msg.has("PV1"):
        raise ValidationError("PV1 segment is missing", code="required", location="PV1")
    episode = msg.get("PV1", 19)
    if not episode:
        raise ValidationError("PV1-19 visit number is missing", code="required", location="PV1-19")
    if len(episode) > 100:
        raise ValidationError("PV1-19 is longer than 100 characters", code="too_long", location="PV1-19")
    return episode


def organisation_of(msg: Message) -> Organisation:
    """PV1-3 assigned location: point of care → unit, facility → hospital (else MSH-4)."""
    unit = msg.get("PV1", 3, 1, 1) or None
    hospital = msg.get("PV1", 3, 1, 4) or msg.header.sending_facility or None
    return Organisation(hospital=hospital, unit_id=unit, unit_kind=codes.unit_kind(msg.get("PV1", 2)))


def _admission(msg: Message, episode: str) -> Body:
    return Admission(
        episode_id=episode,
        hastegrad=codes.hastegrad(msg.get("PV1", 4), msg.get("PV1", 2)),
        from_place=codes.from_place(msg.get("PV1", 14)),
        care_area=codes.care_area(msg.get("PV1", 10)),
    )


def _transfer(msg: Message, episode: str) -> Body:
    return Transfer(
        episode_id=episode,
        from_unit_id=msg.get("PV1", 6, 1, 1) or None,
        to_unit_id=msg.get("PV1", 3, 1, 1) or None,
    )


def _discharge(msg: Message, episode: str) -> Body:
    return Discharge(
        episode_id=episode,
        destination=codes.destination(msg.get("PV1", 36), death_indicator=msg.get("PID", 30)),
    )


def _episode_ref(_msg: Message, episode: str) -> Body:
    return EpisodeRef(episode_id=episode)


BODY_BUILDERS: dict[EventType, Callable[[Message, str], Body]] = {
    EventType.ADMITTED: _admission,
    EventType.TRANSFERRED: _transfer,
    EventType.DISCHARGED: _discharge,
    EventType.ADMISSION_CANCELLED: _episode_ref,
    EventType.DISCHARGE_CANCELLED: _episode_ref,
}


def map_adt(msg: Message, ctx: MappingContext) -> list[Event]:
    """The canonical events of one ADT message (empty for accepted triggers that map to nothing)."""
    return map_with_person(msg, ctx)[0]


def map_with_person(msg: Message, ctx: MappingContext) -> tuple[list[Event], PseudonymousPerson | None]:
    """The events and the resolved person (which redaction needs for the token)."""
    trigger = check_header(msg)
    system = system_of(msg, ctx)
    person = resolve_person(msg, ctx)
    event_type = EVENT_FOR_TRIGGER[trigger]
    if event_type is None:
        return [], person
    if not msg.has("PID"):
        raise ValidationError("PID segment is missing", code="required", location="PID")
    if person is None:
        raise ValidationError(
            "PID-3 has no person number (identifier type code NNNOR)", code="required", location="PID-3"
        )
    episode = episode_of(msg)
    value, location = occurred_at_of(msg)
    occurred_at = parse_timestamp(value, location=location)
    sender_her_id = sender_her_id_of(msg)
    try:
        event = Event(
            event_id=make_event_id(SourceKind.HL7V2, system, msg.header.control_id, event_type, 0),
            event_type=event_type,
            occurred_at=occurred_at,
            recorded_at=ctx.received_at,
            source=Source(
                kind=SourceKind.HL7V2,
                system=system,
                message_id=msg.header.control_id,
                sender_her_id=sender_her_id,
                sender_org=msg.header.sending_facility or None,
            ),
            patient=patient_of(msg, person),
            organisation=organisation_of(msg),
            body=BODY_BUILDERS[event_type](msg, episode),
        )
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationError(f"cannot build the event: {where}: {first['msg']}", code="validation") from exc
    return [event], person
