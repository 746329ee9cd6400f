"""Build canonical events with realistic source ids (pure: no clock, no randomness)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hub.events import (
    Admission,
    AmbulanceHastegrad,
    Area,
    Body,
    Capacity,
    Correction,
    CorrectionAction,
    Death,
    Discharge,
    EpisodeRef,
    Event,
    EventType,
    Hastegrad,
    KadAdmission,
    KadDischarge,
    ManualAvvik,
    Mission,
    MunicipalService,
    Notice,
    NoticeKind,
    Organisation,
    Patient,
    Place,
    Rejection,
    Report,
    Response,
    ServiceKind,
    Sex,
    Source,
    SourceKind,
    Transfer,
    UnitKind,
    make_event_id,
)

SYSTEM_FOR_KIND: dict[SourceKind, str] = {
    SourceKind.HL7V2: "DIPS Arena",
    SourceKind.PLO: "DIPS Arena PLO",
    SourceKind.AMBULANCE: "AMIS",
    SourceKind.KPR: "KPR",
    SourceKind.MANUAL: "hub-api",
    SourceKind.CONFIG: "unit-registry",
}
KIND_FOR_TYPE: dict[EventType, SourceKind] = {
    EventType.ADMITTED: SourceKind.HL7V2,
    EventType.TRANSFERRED: SourceKind.HL7V2,
    EventType.DISCHARGED: SourceKind.HL7V2,
    EventType.ADMISSION_CANCELLED: SourceKind.HL7V2,
    EventType.DISCHARGE_CANCELLED: SourceKind.HL7V2,
    EventType.DIED: SourceKind.PLO,
    EventType.DECLARED_READY: SourceKind.PLO,
    EventType.READY_WITHDRAWN: SourceKind.PLO,
    EventType.MUNICIPALITY_NOTIFIED: SourceKind.PLO,
    EventType.MUNICIPALITY_RESPONDED: SourceKind.PLO,
    EventType.INNLEGGELSESRAPPORT_SENT: SourceKind.PLO,
    EventType.UTSKRIVNINGSRAPPORT_SENT: SourceKind.PLO,
    EventType.EPIKRISE_SENT: SourceKind.PLO,
    EventType.MESSAGE_REJECTED: SourceKind.PLO,
    EventType.KAD_ADMITTED: SourceKind.KPR,
    EventType.KAD_DISCHARGED: SourceKind.KPR,
    EventType.MUNICIPAL_SERVICE_STARTED: SourceKind.KPR,
    EventType.MUNICIPAL_SERVICE_ENDED: SourceKind.KPR,
    EventType.CALL_RECEIVED: SourceKind.AMBULANCE,
    EventType.DISPATCHED: SourceKind.AMBULANCE,
    EventType.ON_SCENE: SourceKind.AMBULANCE,
    EventType.LEFT_SCENE: SourceKind.AMBULANCE,
    EventType.ARRIVED: SourceKind.AMBULANCE,
    EventType.CANCELLED: SourceKind.AMBULANCE,
    EventType.BED_CAPACITY_SET: SourceKind.CONFIG,
    EventType.AVVIK_REPORTED: SourceKind.MANUAL,
}
PREFIX: dict[SourceKind, str] = {
    SourceKind.HL7V2: "ADT",
    SourceKind.PLO: "PLO",
    SourceKind.AMBULANCE: "AMK",
    SourceKind.KPR: "KPR",
    SourceKind.MANUAL: "AVV",
    SourceKind.CONFIG: "CAP",
}


@dataclass(slots=True)
class EventFactory:
    """Makes canonical events for one patient; message ids count up so they are unique and stable.

    ``at`` values are aware datetimes; ``recorded_at`` is ``occurred_at`` + ``record_delay``.
    """

    pseudonym: str
    birth_year: int | None = 1940
    sex: Sex = Sex.FEMALE
    bostedskommune: str | None = "5037"
    oppholdskommune: str | None = None
    hf: str | None = "HNT"
    hospital: str | None = "Sykehuset Levanger"
    unit_id: str | None = "HNT-LEV-MED"
    record_delay: timedelta = timedelta(seconds=5)
    seq: int = 0

    def _patient(self) -> Patient:
        return Patient(
            pseudonym=self.pseudonym,
            key_id="dev1",
            birth_year=self.birth_year,
            sex=self.sex,
            bostedskommune=self.bostedskommune,
            oppholdskommune=self.oppholdskommune,
        )

    def event(
        self,
        event_type: EventType,
        at: datetime,
        body: Body,
        *,
        organisation: Organisation | None = None,
        correction: Correction | None = None,
        message_id: str | None = None,
        with_patient: bool = True,
    ) -> Event:
        """One canonical event of this patient."""
        self.seq += 1
        kind = KIND_FOR_TYPE[event_type]
        system = SYSTEM_FOR_KIND[kind]
        mid = message_id or f"{PREFIX[kind]}-{self.pseudonym[:12]}-{self.seq:06d}"
        return Event(
            event_id=make_event_id(kind, system, mid, event_type),
            event_type=event_type,
            occurred_at=at,
            recorded_at=at + self.record_delay,
            source=Source(kind=kind, system=system, message_id=mid),
            patient=self._patient() if with_patient else None,
            organisation=organisation or self.hospital_org(),
            correction=correction,
            body=body,
        )

    def hospital_org(self, unit_id: str | None = None, kind: UnitKind = UnitKind.WARD) -> Organisation:
        """Organisation of the hospital unit."""
        return Organisation(
            hf=self.hf, hospital=self.hospital, unit_id=unit_id or self.unit_id, unit_kind=kind
        )

    def kommune_org(self, unit_id: str | None = None, kind: UnitKind | None = None) -> Organisation:
        """Organisation of the patient's kommune (or a municipal unit)."""
        return Organisation(
            kommunenummer=self.oppholdskommune or self.bostedskommune, unit_id=unit_id, unit_kind=kind
        )

    # hospital stay
    def admitted(
        self, at: datetime, episode: str, *, acute: bool = True, from_place: Place = Place.HOME
    ) -> Event:
        """ADMITTED."""
        body = Admission(
            episode_id=episode,
            hastegrad=Hastegrad.AKUTT if acute else Hastegrad.PLANLAGT,
            from_place=from_place,
        )
        return self.event(EventType.ADMITTED, at, body)

    def transferred(self, at: datetime, episode: str, to_unit: str) -> Event:
        """TRANSFERRED to another unit."""
        body = Transfer(episode_id=episode, from_unit_id=self.unit_id, to_unit_id=to_unit)
        return self.event(EventType.TRANSFERRED, at, body, organisation=self.hospital_org(to_unit))

    def discharged(self, at: datetime, episode: str, destination: Place = Place.HOME) -> Event:
        """DISCHARGED."""
        return self.event(EventType.DISCHARGED, at, Discharge(episode_id=episode, destination=destination))

    def episode_event(self, event_type: EventType, at: datetime, episode: str) -> Event:
        """ADMISSION_CANCELLED, DISCHARGE_CANCELLED, DECLARED_READY or READY_WITHDRAWN."""
        return self.event(event_type, at, EpisodeRef(episode_id=episode))

    def died(self, at: datetime, episode: str | None = None) -> Event:
        """DIED."""
        return self.event(EventType.DIED, at, Death(episode_id=episode))

    def notified(self, at: datetime, episode: str, notice: NoticeKind) -> Event:
        """MUNICIPALITY_NOTIFIED."""
        body = Notice(
            episode_id=episode, notice=notice, kommunenummer=self.oppholdskommune or self.bostedskommune
        )
        return self.event(EventType.MUNICIPALITY_NOTIFIED, at, body)

    def responded(
        self, at: datetime, episode: str, *, can_receive: bool, receive_date: date | None = None
    ) -> Event:
        """MUNICIPALITY_RESPONDED."""
        body = Response(episode_id=episode, can_receive=can_receive, receive_date=receive_date)
        return self.event(EventType.MUNICIPALITY_RESPONDED, at, body, organisation=self.kommune_org())

    def report(self, event_type: EventType, at: datetime, episode: str | None) -> Event:
        """INNLEGGELSESRAPPORT_SENT, UTSKRIVNINGSRAPPORT_SENT or EPIKRISE_SENT."""
        org = self.kommune_org() if event_type is EventType.INNLEGGELSESRAPPORT_SENT else None
        return self.event(event_type, at, Report(episode_id=episode), organisation=org)

    def rejected(self, at: datetime, rejected: Event, message_type: str) -> Event:
        """MESSAGE_REJECTED (AppRec status 2) of an earlier message."""
        body = Rejection(
            rejected_message_id=rejected.source.message_id,
            message_type=message_type,
            error_code="E10",
            episode_id=getattr(rejected.body, "episode_id", None),
        )
        return self.event(EventType.MESSAGE_REJECTED, at, body)

    # municipal
    def kad_admitted(
        self, at: datetime, stay: str, unit_id: str, kind: UnitKind = UnitKind.KAD_SOMATISK
    ) -> Event:
        """KAD_ADMITTED."""
        body = KadAdmission(stay_id=stay, bed_kind=kind, referred_by=Place.LEGEVAKT)
        return self.event(EventType.KAD_ADMITTED, at, body, organisation=self.kommune_org(unit_id, kind))

    def kad_discharged(
        self,
        at: datetime,
        stay: str,
        unit_id: str,
        destination: Place,
        kind: UnitKind = UnitKind.KAD_SOMATISK,
    ) -> Event:
        """KAD_DISCHARGED."""
        body = KadDischarge(stay_id=stay, destination=destination)
        return self.event(EventType.KAD_DISCHARGED, at, body, organisation=self.kommune_org(unit_id, kind))

    def service(self, at: datetime, service_id: str, kind: ServiceKind, *, started: bool = True) -> Event:
        """MUNICIPAL_SERVICE_STARTED / ENDED."""
        event_type = EventType.MUNICIPAL_SERVICE_STARTED if started else EventType.MUNICIPAL_SERVICE_ENDED
        unit_kind = UnitKind.HJEMMETJENESTE if kind is ServiceKind.HJEMMESYKEPLEIE else UnitKind.SYKEHJEM
        body = MunicipalService(service_id=service_id, service=kind)
        return self.event(event_type, at, body, organisation=self.kommune_org(None, unit_kind))

    # ambulance
    def mission(
        self,
        event_type: EventType,
        at: datetime,
        mission_id: str,
        *,
        hastegrad: AmbulanceHastegrad = AmbulanceHastegrad.AKUTT,
        area: Area = Area.TETTSTED,
        destination: Place | None = None,
    ) -> Event:
        """An ambulance mission status event."""
        body = Mission(mission_id=mission_id, hastegrad=hastegrad, area=area, destination=destination)
        org = Organisation(hf=self.hf, unit_id=f"{self.hf}-AMK", unit_kind=UnitKind.AMK)
        return self.event(event_type, at, body, organisation=org)

    # misc
    def manual(self, at: datetime, category: str, *, with_patient: bool = True) -> Event:
        """AVVIK_REPORTED."""
        body = ManualAvvik(
            category=category, text="Beskrivelse uten personopplysninger", reported_by="sengepost"
        )
        return self.event(EventType.AVVIK_REPORTED, at, body, with_patient=with_patient)

    def capacity(self, at: datetime, unit_id: str, kind: UnitKind, beds: int) -> Event:
        """BED_CAPACITY_SET (no patient)."""
        body = Capacity(unit_id=unit_id, unit_kind=kind, beds=beds, valid_from=at.date())
        return self.event(EventType.BED_CAPACITY_SET, at, body, with_patient=False)

    def cancel(self, at: datetime, target: Event) -> Event:
        """A PLO C message cancelling ``target`` (same type and body)."""
        correction = Correction(action=CorrectionAction.CANCEL, target_event_id=target.event_id)
        return self.event(
            target.event_type, at, target.body, organisation=target.organisation, correction=correction
        )

    def replace(
        self, at: datetime, target: Event, body: Body | None = None, occurred: datetime | None = None
    ) -> Event:
        """A PLO M message replacing ``target`` (new body or time)."""
        correction = Correction(action=CorrectionAction.REPLACE, target_event_id=target.event_id)
        return self.event(
            target.event_type,
            occurred or at,
            body or target.body,
            organisation=target.organisation,
            correction=correction,
        )


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Aware UTC datetime (test and generator helper)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
