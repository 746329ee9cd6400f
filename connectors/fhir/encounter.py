"""FHIR R4 Encounter (+ Patient) to canonical hospital-stay events.

==========================  =====================  ===================================================
Encounter.status            Canonical event        Notes
==========================  =====================  ===================================================
arrived, triaged,           ADMITTED               class EMER or priority EM/UR/S/A → akutt, else
in-progress                                        planlagt; hospitalization.admitSource → from_place;
                                                   time: period.start
  … with a completed and    TRANSFERRED            Encounter.location history: from the most recently
  an active location                               completed location to the active one; time: the
                                                   active location's period.start
finished                    DISCHARGED             hospitalization.dischargeDisposition → destination;
                                                   time: period.end
cancelled, entered-in-error ADMISSION_CANCELLED    time: meta.lastUpdated, else period.start
planned, onleave            (none)                 accepted, raw kept
unknown                     rejected (422)         cannot be mapped
==========================  =====================  ===================================================

DISCHARGE_CANCELLED cannot be derived from a single Encounter state (a finished → in-progress move looks
like any in-progress update); senders needing it should use HL7 v2 A13.
Episode id: the first Encounter.identifier value, else Encounter.id.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pydantic

from connectors.fhir import codes
from connectors.fhir.document import Document, Item
from connectors.formats import MappingContext
from hub.errors import IdentityError, UnsupportedMessage, ValidationError
from hub.events import (
    Admission,
    Body,
    Discharge,
    EpisodeRef,
    Event,
    EventType,
    Hastegrad,
    Organisation,
    Place,
    Sex,
    Source,
    SourceKind,
    Transfer,
    UnitKind,
    make_event_id,
)
from hub.identity import PseudonymousPerson

OSLO = ZoneInfo("Europe/Oslo")
KOMMUNE = re.compile(r"^\d{4}$")
ADMIT_STATUSES = frozenset({"arrived", "triaged", "in-progress"})
CANCEL_STATUSES = frozenset({"cancelled", "entered-in-error"})
IGNORED_STATUSES = frozenset({"planned", "onleave"})
UNIT_KIND = {
    "EMER": UnitKind.AKUTTMOTTAK,
    "IMP": UnitKind.WARD,
    "ACUTE": UnitKind.WARD,
    "NONAC": UnitKind.WARD,
}


def utc(value: Any, *, location: str) -> datetime:
    """A FHIR dateTime/instant (aware datetime, or a date meaning Oslo midnight) in UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=OSLO).astimezone(UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=OSLO).astimezone(UTC)
    raise ValidationError("a date with at least a day is needed here", code="value", location=location)


def _codes(concept: Any) -> list[str]:
    if concept is None:
        return []
    return [str(c.code).strip().lower() for c in (concept.coding or []) if c.code]


def _place(concept: Any, table: dict[str, Place], default: Place) -> Place:
    found = _codes(concept)
    for code in found:
        if code in table:
            return table[code]
    return default if found else Place.UNKNOWN


def person_of(item: Item, ctx: MappingContext) -> PseudonymousPerson:
    """The person from Patient.identifier (fnr/D-nr systems), else from Encounter.subject.identifier."""
    candidates: list[tuple[Any, str]] = []
    if item.patient is not None:
        candidates += [
            (ident, f"{item.patient_path}.identifier[{i}]")
            for i, ident in enumerate(item.patient.identifier or [])
        ]
    candidates += [(ident, f"{item.path}.subject.identifier") for ident in item.subject_identifiers]
    for ident, where in candidates:
        if ident.system in codes.PERSON_SYSTEMS and ident.value:
            try:
                return ctx.pseudonymiser.resolve(str(ident.value))
            except IdentityError as exc:
                raise ValidationError(
                    f"invalid person number: {exc}", code="identity", location=f"{where}.value"
                ) from exc
    where = f"{item.patient_path}.identifier" if item.patient_path else f"{item.path}.subject.identifier"
    raise ValidationError(
        f"no person identifier with system {codes.FNR_SYSTEM} (fnr) or {codes.DNR_SYSTEM} (D-nr)",
        code="required",
        location=where,
    )


def bostedskommune_of(patient: Any) -> str | None:
    """Kommunenummer of the home (else first) address: municipality-code extension, else district."""
    addresses = list(patient.address or []) if patient is not None else []
    addresses.sort(key=lambda a: 0 if a.use == "home" else 1)
    for address in addresses:
        for ext in address.extension or []:
            coding = ext.valueCoding
            if (
                ext.url in codes.KOMMUNE_EXTENSIONS or (coding and coding.system == codes.KOMMUNE_SYSTEM)
            ) and (coding and coding.code and KOMMUNE.match(str(coding.code))):
                return str(coding.code)
        if address.district and KOMMUNE.match(str(address.district).strip()):
            return str(address.district).strip()
    return None


def patient_part(item: Item, person: PseudonymousPerson) -> Any:
    """Canonical patient: pseudonym; birth year and sex from the number, else birthDate/gender."""
    patient = item.patient
    sex = person.sex
    year = person.birth_year
    if patient is not None:
        if sex is Sex.UNKNOWN:
            sex = {"female": Sex.FEMALE, "male": Sex.MALE}.get(str(patient.gender or ""), Sex.UNKNOWN)
        if year is None and patient.birthDate is not None:
            text = str(patient.birthDate)[:4]
            year = int(text) if text.isdigit() and 1880 <= int(text) <= 2200 else None
    base = person.to_patient(bostedskommune=bostedskommune_of(patient))
    return base.model_copy(update={"birth_year": year, "sex": sex})


def episode_of(item: Item) -> str:
    """First Encounter.identifier value, else Encounter.id."""
    enc = item.encounter
    for ident in enc.identifier or []:
        if ident.value:
            return str(ident.value)[:100]
    if enc.id:
        return str(enc.id)
    raise ValidationError(
        "Encounter.identifier or Encounter.id is needed as the stay id",
        code="required",
        location=f"{item.path}.id",
    )


def _ref_id(reference: Any) -> str | None:
    if reference is None:
        return None
    if reference.reference:
        return str(reference.reference).rstrip("/").rsplit("/", 1)[-1].lstrip("#")[:100] or None
    if reference.identifier is not None and reference.identifier.value:
        return str(reference.identifier.value)[:100]
    return str(reference.display)[:100] if reference.display else None


def locations(item: Item) -> tuple[Any | None, Any | None]:
    """(active location, most recently completed location) from Encounter.location."""
    entries = list(item.encounter.location or [])
    active = [
        e for e in entries if e.status in {"active", None} and (e.period is None or e.period.end is None)
    ]
    done = [
        e for e in entries if e.status == "completed" or (e.period is not None and e.period.end is not None)
    ]
    current = active[-1] if active else None
    previous = None
    if done:
        previous = max(done, key=lambda e: _sort_time(e.period.end if e.period else None))
    return current, previous


def _sort_time(value: Any) -> datetime:
    try:
        return utc(value, location="")
    except ValidationError:
        return datetime.min.replace(tzinfo=UTC)


def organisation_of(item: Item, current: Any | None) -> Organisation:
    """Unit from the active location, hospital and HER-id from serviceProvider."""
    enc = item.encounter
    class_code = str(enc.class_fhir.code) if enc.class_fhir is not None and enc.class_fhir.code else ""
    provider = enc.serviceProvider
    her = None
    if (
        provider is not None
        and provider.identifier is not None
        and provider.identifier.system == codes.HER_SYSTEM
    ):
        her = str(provider.identifier.value) if provider.identifier.value else None
    return Organisation(
        hospital=_ref_id(provider),
        unit_id=_ref_id(current.location) if current is not None else None,
        unit_kind=UNIT_KIND.get(class_code.upper()),
        her_id=her,
    )


def _hastegrad(enc: Any) -> Hastegrad:
    class_code = (
        str(enc.class_fhir.code).upper() if enc.class_fhir is not None and enc.class_fhir.code else ""
    )
    priority = {c.upper() for c in _codes(enc.priority)}
    if class_code in codes.ACUTE_CLASSES or priority & codes.ACUTE_PRIORITIES:
        return Hastegrad.AKUTT
    return Hastegrad.PLANLAGT


def _period(item: Item, name: str) -> datetime:
    period = item.encounter.period
    value = getattr(period, name, None) if period is not None else None
    if value is None:
        raise ValidationError(
            f"Encounter.period.{name} is required for this status",
            code="required",
            location=f"{item.path}.period.{name}",
        )
    return utc(value, location=f"{item.path}.period.{name}")


def _cancel_time(item: Item) -> datetime:
    meta = item.encounter.meta
    if meta is not None and meta.lastUpdated is not None:
        return utc(meta.lastUpdated, location=f"{item.path}.meta.lastUpdated")
    return _period(item, "start")


def classify(item: Item) -> tuple[EventType, datetime, Body] | None:
    """Event type, time and body for one Encounter (None for statuses that map to nothing)."""
    enc = item.encounter
    status = str(enc.status)
    episode = episode_of(item)
    hospitalization = enc.hospitalization
    if status in ADMIT_STATUSES:
        current, previous = locations(item)
        if current is not None and previous is not None:
            start = current.period.start if current.period is not None else None
            when = (
                utc(start, location=f"{item.path}.location.period.start")
                if start is not None
                else _cancel_time(item)
            )
            return (
                EventType.TRANSFERRED,
                when,
                Transfer(
                    episode_id=episode,
                    from_unit_id=_ref_id(previous.location),
                    to_unit_id=_ref_id(current.location),
                ),
            )
        admit = hospitalization.admitSource if hospitalization is not None else None
        admission: Body = Admission(
            episode_id=episode,
            hastegrad=_hastegrad(enc),
            from_place=_place(admit, codes.ADMIT_SOURCE, Place.UNKNOWN),
        )
        return EventType.ADMITTED, _period(item, "start"), admission
    if status == "finished":
        disposition = hospitalization.dischargeDisposition if hospitalization is not None else None
        body = Discharge(
            episode_id=episode, destination=_place(disposition, codes.DISCHARGE_DISPOSITION, Place.OTHER)
        )
        return EventType.DISCHARGED, _period(item, "end"), body
    if status in CANCEL_STATUSES:
        return EventType.ADMISSION_CANCELLED, _cancel_time(item), EpisodeRef(episode_id=episode)
    if status in IGNORED_STATUSES:
        return None
    raise UnsupportedMessage(
        f"Encounter.status {status[:30]!r} cannot be mapped",
        code="not_supported",
        location=f"{item.path}.status",
    )


def map_document(doc: Document, ctx: MappingContext) -> list[Event]:
    """Canonical events for every Encounter of the document, in document order."""
    events: list[Event] = []
    for seq, item in enumerate(doc.items):
        person = person_of(item, ctx)
        mapped = classify(item)
        if mapped is None:
            continue
        event_type, occurred_at, body = mapped
        current, _ = locations(item)
        try:
            events.append(
                Event(
                    event_id=make_event_id(SourceKind.FHIR, doc.system, doc.message_id, event_type, seq),
                    event_type=event_type,
                    occurred_at=occurred_at,
                    recorded_at=ctx.received_at,
                    source=Source(
                        kind=SourceKind.FHIR,
                        system=doc.system,
                        message_id=doc.message_id,
                        sender_her_id=doc.sender_her_id,
                    ),
                    patient=patient_part(item, person),
                    organisation=organisation_of(item, current),
                    body=body,
                )
            )
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationError(
                f"cannot build the event: {where}: {first['msg']}", code="value", location=item.path
            ) from exc
    return events
