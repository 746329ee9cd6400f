"""From the synthetic canonical timeline to source messages: which source sends what, when.

Synth event -> message -> what the connector maps it to:

* ADMITTED / TRANSFERRED / DISCHARGED -> HL7 ADT A01 / A02 / A03 -> the same event
* ADMISSION_CANCELLED / DISCHARGE_CANCELLED -> HL7 ADT A11 / A13 -> the same event
* DECLARED_READY -> held, sent with the ready notice
* MUNICIPALITY_NOTIFIED (READY) -> PLO LOG_UTSKRIVNINGSKLAR -> DECLARED_READY (ready time) + NOTIFIED
* MUNICIPALITY_NOTIFIED (ADMISSION) -> Helseopplysninger varsel -> NOTIFIED (a PLO C cancels the earlier)
* MUNICIPALITY_RESPONDED -> Dialogmelding «kan (ikke) ta imot» -> MUNICIPALITY_RESPONDED
* INNLEGGELSESRAPPORT_SENT / UTSKRIVNINGSRAPPORT_SENT / EPIKRISE_SENT -> PLO report / Epikrise 1.2
* MESSAGE_REJECTED -> AppRec status 2 naming the rendered message id -> MESSAGE_REJECTED
* CALL_RECEIVED … ARRIVED -> ambulance mission JSON -> the same event
* KAD_ADMITTED / KAD_DISCHARGED -> KPR CSV, the same record twice (without, then with end)
* MUNICIPAL_SERVICE_STARTED -> KPR CSV
* AVVIK_REPORTED -> not sent (the manual API is no source protocol); counted as skipped

Message ids are UUIDs derived from the seed and the synth message id, so the same seed gives the same bytes.

Each source says only what it really carries (with ``masterdata``): HL7 sends the EPJ's own visit number
(PV1-19, derived from the seed, never the synth episode id) and its facility and point-of-care codes
(``hl7-facility`` / ``hl7-unit`` rows of ``organisations.csv``); PLO and Epikrise are addressed by the HER-ids
of the hospital, unit and kommune and carry no stay id; KPR sends its own record ids; AMK its mission id.
:attr:`Planner.visits` keeps synth episode -> visit number, so a test can map the hub's stays back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

from hub.events import (
    Event,
    EventType,
    KadAdmission,
    KadDischarge,
    MunicipalService,
    Notice,
    NoticeKind,
    Place,
    Rejection,
    Response,
    UnitKind,
)
from hub.masterdata.model import MasterData
from hub.simulate import ambulance, hl7, kpr, plo
from hub.simulate.message import Outgoing, Protocol
from hub.simulate.persons import Person, PersonBook

E = EventType
AMBULANCE_TYPES = frozenset({E.CALL_RECEIVED, E.DISPATCHED, E.ON_SCENE, E.LEFT_SCENE, E.ARRIVED, E.CANCELLED})
NAMESPACE = uuid.UUID("6f1c2a3e-5b0d-4c1e-9a57-2d9e3f4b8c10")


@dataclass
class _Stay:
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    ready_at: datetime | None = None
    hospital: str | None = None
    unit: str | None = None


@dataclass
class Planner:
    """Stateful translator of one synth stream (events in time order) to outgoing messages."""

    seed: int
    amk_central: str = "AMK-HNT"
    people: PersonBook = field(default_factory=PersonBook)
    skipped: int = 0
    """Synth events no source message carries (manual avvik reports)."""
    _stays: dict[tuple[str, str], _Stay] = field(default_factory=dict)
    _msg_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    _kad: dict[str, kpr.KprRow] = field(default_factory=dict)
    _by_event: dict[str, str] = field(default_factory=dict)
    masterdata: MasterData | None = None
    held: dict[tuple[str, str], Event] = field(default_factory=dict)
    """DECLARED_READY events waiting for their notice; what is left when the notice never came is carried
    by no message (an utskrivningsklar declaration the hospital never sent the kommune)."""
    visits: dict[str, str] = field(default_factory=dict)
    """Synth episode id -> the HL7 visit number (PV1-19) the EPJ sent for it."""

    def msg_id(self, source_id: str) -> str:
        """The deterministic message id of a synth source message id."""
        return str(uuid.uuid5(NAMESPACE, f"{self.seed}:{source_id}"))

    def plan(self, events: Iterable[Event]) -> Iterator[Outgoing]:
        """The messages of ``events``, in order."""
        for event in events:
            out = self.message(event)
            if out is None:
                continue
            yield out

    def message(self, event: Event) -> Outgoing | None:
        """The message carrying ``event`` (None when it is held or has no source message)."""
        if event.patient is None:
            self.skipped += 1
            return None
        person = self.people(event.patient)
        mid = self.msg_id(event.source.message_id)
        kind = event.event_type
        episode = str(getattr(event.body, "episode_id", "") or "")
        stay = self._stays.setdefault((event.patient.pseudonym, episode), _Stay())
        if kind in hl7.TRIGGER:
            if event.organisation is not None and event.organisation.hospital:
                stay.hospital = event.organisation.hospital
                stay.unit = event.organisation.unit_id or stay.unit
            if kind is E.ADMITTED:
                stay.admitted_at = event.occurred_at
            elif kind is E.DISCHARGED:
                stay.discharged_at = event.occurred_at
            control_id = mid.replace("-", "")[:20]  # MSH-10 is ST(20) in HL7 2.5
            payload = self._adt(event, person, control_id, episode)
            return self._out(event, Protocol.HL7, f"ADT^{hl7.TRIGGER[kind]}", control_id, payload)
        if kind in AMBULANCE_TYPES:
            payload = ambulance.render_mission(event, person, mid, amk_central=self.amk_central)
            return self._out(event, Protocol.AMBULANCE, f"AMK {kind.value}", mid, payload)
        if kind is E.DECLARED_READY:
            stay.ready_at = event.occurred_at
            self.held[(event.patient.pseudonym, episode)] = event
            return None
        out = self._plo(event, person, mid, stay)
        if out is not None:
            parties = self._parties(event, person, stay)
            if parties is not None:
                out = replace(out, payload=plo.with_parties(out.payload, parties))
            return out
        return self._kpr(event, person)

    def _adt(self, event: Event, person: Person, control_id: str, episode: str) -> bytes:
        md = self.masterdata
        if md is None:
            return hl7.render_adt(event, person, control_id)
        visit = self.visits.get(episode)
        if visit is None:
            visit = self.visits[episode] = str(uuid.uuid5(NAMESPACE, f"{self.seed}:visit:{episode}").int)[:10]
        hospital = event.organisation.hospital if event.organisation else None

        def unit_code(unit_id: str | None) -> str | None:
            return md.codes_of("hl7-unit", hospital=hospital, unit_id=unit_id) if unit_id else None

        facility = md.codes_of("hl7-facility", hospital=hospital)
        return hl7.render_adt(event, person, control_id, facility=facility, visit=visit, unit_code=unit_code)

    def _parties(self, event: Event, person: Person, stay: _Stay) -> plo.Parties | None:
        md = self.masterdata
        if md is None:
            return None
        hospital = stay.hospital or (event.organisation.hospital if event.organisation else None)
        her = md.codes_of("her", hospital=hospital)
        if her is None:
            return None
        unit_her = md.codes_of("her", hospital=hospital, unit_id=stay.unit) if stay.unit else None
        kommune = person.kommune
        row = md.kommune(kommune, event.occurred_at.date()) if kommune else None
        return plo.Parties(
            hospital_her=her,
            hospital_name=hospital or "",
            unit_her=unit_her,
            kommune_her=md.kommune_code("her", kommune),
            kommune_name=f"{row.name} kommune" if row else None,
        )

    def _out(
        self,
        event: Event,
        protocol: Protocol,
        kind: str,
        mid: str,
        payload: bytes,
        *,
        expected: tuple[EventType, ...] | None = None,
    ) -> Outgoing:
        self._msg_ids[event.source.message_id] = (mid, kind)
        self._by_event[event.event_id] = mid
        return Outgoing(event.occurred_at, protocol, kind, mid, payload, expected or (event.event_type,))

    def _plo(  # noqa: PLR0911 - one branch per message family
        self, event: Event, person: Person, mid: str, stay: _Stay
    ) -> Outgoing | None:
        body, at = event.body, event.occurred_at
        if isinstance(body, Notice) and body.notice is NoticeKind.READY:
            if event.patient is not None:
                self.held.pop((event.patient.pseudonym, str(body.episode_id or "")), None)
            payload = plo.log_utskrivningsklar(person, mid, at, stay.ready_at or at)
            expected = (E.DECLARED_READY, E.MUNICIPALITY_NOTIFIED)
            return self._out(event, Protocol.PLO, "LOG_UTSKRIVNINGSKLAR", mid, payload, expected=expected)
        if isinstance(body, Notice):
            cancels = None
            if event.correction is not None:
                cancels = self._by_event.get(event.correction.target_event_id)
            payload = plo.varsel_innlagt(person, mid, at, cancels=cancels)
            return self._out(event, Protocol.PLO, "HELSEOPPL_SOKNAD", mid, payload)
        if isinstance(body, Response):
            payload = plo.dialog_answer(
                person, mid, at, can_receive=body.can_receive, receive_date=body.receive_date
            )
            return self._out(event, Protocol.PLO, "DIALOG_HELSEFAGLIG", mid, payload)
        if event.event_type is E.INNLEGGELSESRAPPORT_SENT:
            return self._out(
                event, Protocol.PLO, "INNLEGGELSESRAPPORT", mid, plo.innleggelsesrapport(person, mid, at)
            )
        if event.event_type is E.UTSKRIVNINGSRAPPORT_SENT:
            return self._out(
                event, Protocol.PLO, "UTSKRIVNINGSRAPPORT", mid, plo.utskrivningsrapport(person, mid, at)
            )
        if event.event_type is E.EPIKRISE_SENT:
            payload = plo.epikrise(
                person,
                mid,
                at,
                document_id=self.msg_id(f"doc:{event.source.message_id}"),
                admitted_at=stay.admitted_at,
                discharged_at=stay.discharged_at,
            )
            return self._out(event, Protocol.PLO, "EPIKRISE", mid, payload)
        if isinstance(body, Rejection):
            original, original_kind = self._msg_ids.get(
                body.rejected_message_id, (self.msg_id("unknown"), "")
            )
            payload = plo.apprec_avvist(
                mid,
                at,
                original_msg_id=original,
                original_type=body.message_type or original_kind,
                error_code=body.error_code or "E10",
            )
            return self._out(event, Protocol.PLO, "APPREC", mid, payload)
        return None

    def _kpr(self, event: Event, person: Person) -> Outgoing | None:
        body, at = event.body, event.occurred_at
        org = event.organisation
        kommune = (org.kommunenummer if org else None) or person.kommune or "5001"
        row: kpr.KprRow | None = None
        expected: tuple[EventType, ...] = (event.event_type,)
        if isinstance(body, KadAdmission):
            row = kpr.KprRow(
                record_id=f"K{self.msg_id(body.stay_id)[:13]}",
                person=person,
                kommunenummer=kommune,
                start=at,
                bed_kind=body.bed_kind or UnitKind.KAD_SOMATISK,
                referred_by=body.referred_by,
                unit_id=org.unit_id if org else None,
            )
            self._kad[body.stay_id] = row
        elif isinstance(body, KadDischarge):
            admitted = self._kad.pop(body.stay_id, None)
            if admitted is None:
                self.skipped += 1
                return None
            row = kpr.KprRow(
                record_id=admitted.record_id,
                person=person,
                kommunenummer=admitted.kommunenummer,
                start=admitted.start,
                end=at,
                bed_kind=admitted.bed_kind,
                referred_by=admitted.referred_by,
                destination=body.destination or Place.HOME,
                unit_id=admitted.unit_id,
            )
            expected = (E.KAD_ADMITTED, E.KAD_DISCHARGED)
        elif isinstance(body, MunicipalService) and event.event_type is E.MUNICIPAL_SERVICE_STARTED:
            row = kpr.KprRow(
                record_id=f"S{self.msg_id(body.service_id + person.number)[:13]}",
                person=person,
                kommunenummer=kommune,
                start=at,
                service=body.service,
            )
        if row is None:
            self.skipped += 1
            return None
        payload = kpr.render_csv([row])
        return self._out(
            event, Protocol.KPR, "kpr-csv", f"{row.record_id}@{at.isoformat()}", payload, expected=expected
        )
