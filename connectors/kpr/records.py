"""One municipal service or bed stay, as read from an IPLOS extract or the KPR CSV, and its canonical events.

Mapping (Volven code list 9151 *Tjenestetype i helse- og omsorgstjenesten*):

=====================================  ==========================================  ======================
tjenestetype                           events                                      body
=====================================  ==========================================  ======================
25 kommunal øyeblikkelig hjelp døgn    KAD_ADMITTED (start) / KAD_DISCHARGED (end)  bed kind KAD_SOMATISK
any row with ``bed_kind`` (CSV)        KAD_ADMITTED / KAD_DISCHARGED                bed kind as given
15 helsetjenester i hjemmet            MUNICIPAL_SERVICE_STARTED / _ENDED           HJEMMESYKEPLEIE
21 langtidsopphold i institusjon       MUNICIPAL_SERVICE_STARTED / _ENDED           SYKEHJEM_LANGTID
18, 19, 20 tidsbegrenset opphold       MUNICIPAL_SERVICE_STARTED / _ENDED           SYKEHJEM_KORTTID
1, 2, 3 praktisk bistand               MUNICIPAL_SERVICE_STARTED / _ENDED           PRAKTISK_BISTAND
other 9151 codes (see ``SERVICES``)    MUNICIPAL_SERVICE_STARTED / _ENDED           OTHER
=====================================  ==========================================  ======================

A code outside 9151 is a validation error. Events are emitted for what had happened when the hub received the
extract: a start or end later than ``ctx.received_at`` (a planned end of a tidsbegrenset opphold) gives no
event yet; the next extract that reports the record again brings it. Event ids are deterministic from
(system, record key, start|end), so the same record in a later extract overwrites instead of duplicating.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from connectors.formats import MappingContext
from hub.errors import ValidationError
from hub.events import (
    Event,
    EventType,
    KadAdmission,
    KadDischarge,
    MunicipalService,
    Organisation,
    Patient,
    Place,
    ServiceKind,
    Source,
    SourceKind,
    UnitKind,
    make_event_id,
)
from hub.identity.masking import find_person_numbers

OSLO: Final = ZoneInfo("Europe/Oslo")
KAD_CODE: Final = 25

SERVICES: Final[dict[int, tuple[str, ServiceKind | None]]] = {
    1: ("Praktisk bistand - daglige gjøremål", ServiceKind.PRAKTISK_BISTAND),
    2: ("Praktisk bistand - opplæring - daglige gjøremål", ServiceKind.PRAKTISK_BISTAND),
    3: ("Praktisk bistand - brukerstyrt personlig assistanse", ServiceKind.PRAKTISK_BISTAND),
    4: ("Dagaktivitetstilbud", ServiceKind.OTHER),
    5: ("Matombringing", ServiceKind.OTHER),
    6: ("Trygghetsalarm", ServiceKind.OTHER),
    7: ("Avlastning utenfor institusjon", ServiceKind.OTHER),
    8: ("Avlastning i institusjon", ServiceKind.OTHER),
    9: ("Støttekontakt", ServiceKind.OTHER),
    11: ("Omsorgsstønad", ServiceKind.OTHER),
    14: ("Bruk av tvang psykisk utviklingshemning - planlagte tiltak", ServiceKind.OTHER),
    15: ("Helsetjenester i hjemmet", ServiceKind.HJEMMESYKEPLEIE),
    17: ("Dagopphold i institusjon", ServiceKind.OTHER),
    18: ("Tidsbegrenset opphold - utredning/behandling", ServiceKind.SYKEHJEM_KORTTID),
    19: ("Tidsbegrenset opphold - habilitering/rehabilitering", ServiceKind.SYKEHJEM_KORTTID),
    20: ("Tidsbegrenset opphold - annet", ServiceKind.SYKEHJEM_KORTTID),
    21: ("Langtidsopphold i institusjon", ServiceKind.SYKEHJEM_LANGTID),
    22: ("Nattopphold i institusjon", ServiceKind.OTHER),
    23: ("Bruk av tvang psykisk utviklingshemning - nødsituasjoner", ServiceKind.OTHER),
    24: ("Helsehjelp med tvang", ServiceKind.OTHER),
    KAD_CODE: ("Kommunal øyeblikkelig hjelp - døgnopphold", None),
    26: ("Lokaliseringsteknologi (GPS)", ServiceKind.OTHER),
    27: ("Elektronisk medisineringsstøtte", ServiceKind.OTHER),
    28: ("Digitalt tilsyn", ServiceKind.OTHER),
    29: ("Bolig som kommunen disponerer for helse- og omsorgsformål", ServiceKind.OTHER),
}
"""Volven 9151 code → (name, service kind); ``None`` marks the KAD code."""

BED_CODES: Final = frozenset({18, 19, 20, KAD_CODE})
"""Codes a row with an explicit bed kind may carry (institutional stays)."""

SERVICE_UNIT_KIND: Final[dict[ServiceKind, UnitKind]] = {
    ServiceKind.HJEMMESYKEPLEIE: UnitKind.HJEMMETJENESTE,
    ServiceKind.PRAKTISK_BISTAND: UnitKind.HJEMMETJENESTE,
    ServiceKind.SYKEHJEM_LANGTID: UnitKind.SYKEHJEM,
    ServiceKind.SYKEHJEM_KORTTID: UnitKind.SYKEHJEM,
}


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One service period or bed stay of one person, validated."""

    key: str
    """Unique within the system: ``<kommunenummer>/<record id>``; the stay / service id in the events."""
    location: str
    patient: Patient
    kommunenummer: str
    tjenestetype: int
    start: datetime
    end: datetime | None = None
    bed_kind: UnitKind | None = None
    referred_by: Place = Place.UNKNOWN
    discharge_destination: Place = Place.UNKNOWN
    unit_id: str | None = None

    def __post_init__(self) -> None:
        if find_person_numbers(self.key):
            raise ValidationError(
                "the record id holds a person number; it would become a stay id in the events",
                code="person_number",
                location="record_id",
            )

    @property
    def is_bed_stay(self) -> bool:
        """KAD, sykestue or korttid bed stay (KAD events) rather than a service (service events)."""
        return self.bed_kind is not None or self.tjenestetype == KAD_CODE


def check_code(code: int, location: str) -> None:
    """Raise if ``code`` is not a 9151 tjenestetype."""
    if code not in SERVICES:
        raise ValidationError(f"tjenestetype {code} is not in code list 9151", location=location)


def local_midnight(day: date) -> datetime:
    """A date-only value as midnight Europe/Oslo time (the time of day is not known)."""
    return datetime(day.year, day.month, day.day, tzinfo=OSLO)


@dataclass(frozen=True, slots=True)
class _Mapper:
    record: ServiceRecord
    system: str
    ctx: MappingContext

    def event(
        self,
        event_type: EventType,
        edge: str,
        body: KadAdmission | KadDischarge | MunicipalService,
        unit_kind: UnitKind | None,
    ) -> Event:
        record = self.record
        occurred_at = record.start if edge == "start" else record.end
        message_id = f"{record.key}:{edge}"
        return Event(
            event_id=make_event_id(SourceKind.KPR, self.system, message_id, event_type),
            event_type=event_type,
            occurred_at=occurred_at,
            recorded_at=self.ctx.received_at,
            source=Source(kind=SourceKind.KPR, system=self.system, message_id=message_id),
            patient=record.patient,
            organisation=Organisation(
                unit_id=record.unit_id, unit_kind=unit_kind, kommunenummer=record.kommunenummer
            ),
            body=body,
        )


def to_events(record: ServiceRecord, system: str, ctx: MappingContext) -> list[Event]:
    """The canonical events of one record (start, and end when it has happened)."""
    mapper = _Mapper(record, system, ctx)
    started = record.start <= ctx.received_at
    ended = record.end is not None and record.end <= ctx.received_at
    events: list[Event] = []
    if record.is_bed_stay:
        bed = record.bed_kind or UnitKind.KAD_SOMATISK
        if started:
            admission = KadAdmission(stay_id=record.key, bed_kind=bed, referred_by=record.referred_by)
            events.append(mapper.event(EventType.KAD_ADMITTED, "start", admission, bed))
        if ended:
            discharge = KadDischarge(stay_id=record.key, destination=record.discharge_destination)
            events.append(mapper.event(EventType.KAD_DISCHARGED, "end", discharge, bed))
        return events
    kind = SERVICES[record.tjenestetype][1] or ServiceKind.OTHER
    unit_kind = SERVICE_UNIT_KIND.get(kind)
    service = MunicipalService(service_id=record.key, service=kind)
    if started:
        events.append(mapper.event(EventType.MUNICIPAL_SERVICE_STARTED, "start", service, unit_kind))
    if ended:
        events.append(mapper.event(EventType.MUNICIPAL_SERVICE_ENDED, "end", service, unit_kind))
    return events
