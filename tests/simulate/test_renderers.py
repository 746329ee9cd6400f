"""Every simulated message kind is accepted by its real connector format and maps to the intended events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.formats import Accepted, MappingContext, MessageFormat
from connectors.hl7v2.format import FORMAT as HL7
from connectors.kpr.format import FORMAT as KPR
from connectors.plo.format import FORMAT as PLO
from hub.events import (
    AmbulanceHastegrad,
    Area,
    CorrectionAction,
    Event,
    EventType,
    Hastegrad,
    NoticeKind,
    Place,
    ServiceKind,
    Sex,
    UnitKind,
)
from hub.simulate import plo
from hub.simulate.message import Outgoing, Protocol
from hub.simulate.persons import person_for
from hub.simulate.plan import Planner
from hub.synth.build import EventFactory

E = EventType
T0 = datetime(2024, 3, 4, 9, 15, tzinfo=UTC)
FORMATS: dict[Protocol, MessageFormat] = {
    Protocol.HL7: HL7,
    Protocol.PLO: PLO,
    Protocol.AMBULANCE: AMBULANCE,
    Protocol.KPR: KPR,
}


def _factory() -> EventFactory:
    return EventFactory(
        pseudonym="a1b2c3d4e5f60718293a4b5c",
        birth_year=1938,
        sex=Sex.FEMALE,
        bostedskommune="5037",
        hf="HNT",
        hospital="Sykehuset Levanger",
        unit_id="HNT-LEV-MED",
    )


def _send(planner: Planner, event: Event, ctx: MappingContext) -> tuple[Outgoing, Accepted]:
    out = planner.message(event)
    assert out is not None
    accepted = FORMATS[out.protocol].accept(out.payload, ctx)
    assert tuple(e.event_type for e in accepted.events) == out.expected
    return out, accepted


def _check_patient(accepted: Accepted, factory: EventFactory) -> None:
    for event in accepted.events:
        if event.event_type is E.MESSAGE_REJECTED:
            continue
        assert event.patient is not None
        assert event.patient.birth_year == factory.birth_year
        assert event.patient.sex is factory.sex


def test_synthetic_person_is_a_test_number() -> None:
    """A synth patient becomes a valid month+80 test number with the patient's birth year and sex."""
    person = person_for(_factory()._patient())
    assert int(person.number[2:4]) > 80
    assert person.born.year == 1938
    assert person.female
    assert person_for(_factory()._patient()) == person


@pytest.mark.parametrize(
    ("acute", "hastegrad", "from_place"),
    [(True, Hastegrad.AKUTT, Place.AMBULANCE), (False, Hastegrad.PLANLAGT, Place.HOME)],
)
def test_hl7_a01_admission(ctx: MappingContext, acute: bool, hastegrad: Hastegrad, from_place: Place) -> None:
    """ADMITTED renders as ADT^A01 mapping back with time, episode, hastegrad, origin and kommune."""
    f = _factory()
    out, accepted = _send(Planner(seed=1), f.admitted(T0, "V1", acute=acute, from_place=from_place), ctx)
    event = accepted.events[0]
    assert out.kind == "ADT^A01"
    assert event.occurred_at == T0
    assert event.body.episode_id == "V1"  # type: ignore[union-attr]
    assert event.body.hastegrad is hastegrad  # type: ignore[union-attr]
    assert event.body.from_place is from_place  # type: ignore[union-attr]
    assert event.patient is not None
    assert event.patient.bostedskommune == "5037"
    assert event.organisation is not None
    assert event.organisation.unit_id == "HNT-LEV-MED"
    _check_patient(accepted, f)


def test_hl7_a02_transfer(ctx: MappingContext) -> None:
    """TRANSFERRED renders as ADT^A02 with the prior and the new unit."""
    f = _factory()
    _out, accepted = _send(Planner(seed=1), f.transferred(T0, "V1", "HNT-LEV-KIR"), ctx)
    body = accepted.events[0].body
    assert body.from_unit_id == "HNT-LEV-MED"  # type: ignore[union-attr]
    assert body.to_unit_id == "HNT-LEV-KIR"  # type: ignore[union-attr]


@pytest.mark.parametrize("destination", [Place.HOME, Place.HOME_NURSING, Place.SYKEHJEM, Place.KAD])
def test_hl7_a03_discharge(ctx: MappingContext, destination: Place) -> None:
    """DISCHARGED renders as ADT^A03 whose PV1-36 maps back to the same destination."""
    f = _factory()
    _out, accepted = _send(Planner(seed=1), f.discharged(T0, "V1", destination), ctx)
    assert accepted.events[0].body.destination is destination  # type: ignore[union-attr]
    assert accepted.events[0].occurred_at == T0


@pytest.mark.parametrize("event_type", [E.ADMISSION_CANCELLED, E.DISCHARGE_CANCELLED])
def test_hl7_cancels(ctx: MappingContext, event_type: EventType) -> None:
    """ADMISSION_/DISCHARGE_CANCELLED render as ADT^A11 / A13 on the same episode."""
    _out, accepted = _send(Planner(seed=1), _factory().episode_event(event_type, T0, "V1"), ctx)
    assert accepted.events[0].body.episode_id == "V1"  # type: ignore[union-attr]


def test_plo_utskrivningsklar_carries_ready_time_and_notice_time(ctx: MappingContext) -> None:
    """A ready notice renders as LOG_UTSKRIVNINGSKLAR: DECLARED_READY at ready time, notice at send time."""
    f = _factory()
    planner = Planner(seed=1)
    assert planner.message(f.episode_event(E.DECLARED_READY, T0, "V1")) is None
    notice_at = T0 + timedelta(hours=2)
    out, accepted = _send(planner, f.notified(notice_at, "V1", NoticeKind.READY), ctx)
    ready, notice = accepted.events
    assert out.kind == "LOG_UTSKRIVNINGSKLAR"
    assert ready.occurred_at == T0
    assert notice.occurred_at == notice_at
    assert notice.body.notice is NoticeKind.READY  # type: ignore[union-attr]
    assert notice.body.kommunenummer == "5037"  # type: ignore[union-attr]
    _check_patient(accepted, f)


def test_plo_admission_notice_and_its_cancel(ctx: MappingContext) -> None:
    """An admission notice renders as Helseopplysninger varsel; its PLO C cancels the mapped notice."""
    f = _factory()
    planner = Planner(seed=1)
    notice = f.notified(T0, "V1", NoticeKind.ADMISSION)
    _out, first = _send(planner, notice, ctx)
    assert first.events[0].body.notice is NoticeKind.ADMISSION  # type: ignore[union-attr]
    assert first.events[0].occurred_at == T0
    _out, cancel = _send(planner, f.cancel(T0 + timedelta(minutes=10), notice), ctx)
    correction = cancel.events[0].correction
    assert correction is not None
    assert correction.action is CorrectionAction.CANCEL
    assert correction.target_event_id == first.events[0].event_id


@pytest.mark.parametrize(("can_receive", "receive"), [(True, date(2024, 3, 6)), (True, None), (False, None)])
def test_plo_dialog_answer(ctx: MappingContext, can_receive: bool, receive: date | None) -> None:
    """A kommune answer renders as a Dialogmelding that maps to MUNICIPALITY_RESPONDED with date."""
    f = _factory()
    _out, accepted = _send(
        Planner(seed=1), f.responded(T0, "V1", can_receive=can_receive, receive_date=receive), ctx
    )
    body = accepted.events[0].body
    assert body.can_receive is can_receive  # type: ignore[union-attr]
    assert body.receive_date == receive  # type: ignore[union-attr]
    assert accepted.events[0].occurred_at == T0


@pytest.mark.parametrize(
    "event_type", [E.INNLEGGELSESRAPPORT_SENT, E.UTSKRIVNINGSRAPPORT_SENT, E.EPIKRISE_SENT]
)
def test_plo_reports(ctx: MappingContext, event_type: EventType) -> None:
    """Innleggelsesrapport, Utskrivningsrapport and Epikrise map to their *_SENT event at the send time."""
    f = _factory()
    planner = Planner(seed=1)
    planner.message(f.admitted(T0 - timedelta(days=3), "V1"))
    _out, accepted = _send(planner, f.report(event_type, T0, "V1"), ctx)
    assert accepted.events[0].occurred_at == T0
    _check_patient(accepted, f)


def test_epikrise_names_the_admission_date(ctx: MappingContext) -> None:
    """The epikrise's stay id is derived from the admission the planner saw for the episode."""
    f = _factory()
    planner = Planner(seed=1)
    planner.message(f.admitted(datetime(2024, 3, 1, 10, tzinfo=UTC), "V1"))
    _out, accepted = _send(planner, f.report(E.EPIKRISE_SENT, T0, "V1"), ctx)
    assert str(accepted.events[0].body.episode_id).endswith(":2024-03-01")  # type: ignore[union-attr]


def test_apprec_avvist_names_the_rendered_message(ctx: MappingContext) -> None:
    """A rejection renders as AppRec status 2 whose rejected message id is the rendered original's MsgId."""
    f = _factory()
    planner = Planner(seed=1)
    original = f.notified(T0, "V1", NoticeKind.READY)
    sent = planner.message(original)
    assert sent is not None
    _out, accepted = _send(
        planner, f.rejected(T0 + timedelta(minutes=2), original, "LOG_UTSKRIVNINGSKLAR"), ctx
    )
    body = accepted.events[0].body
    assert body.rejected_message_id == sent.message_id  # type: ignore[union-attr]
    assert body.error_code == "E10"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "hastegrad", "area"),
    [
        (E.CALL_RECEIVED, AmbulanceHastegrad.AKUTT, Area.TETTSTED),
        (E.ON_SCENE, AmbulanceHastegrad.HASTER, Area.RURAL),
        (E.ARRIVED, AmbulanceHastegrad.AKUTT, Area.RURAL),
    ],
)
def test_ambulance_mission(
    ctx: MappingContext, status: EventType, hastegrad: AmbulanceHastegrad, area: Area
) -> None:
    """Mission events render as AMK JSON keeping status, time, hastegrad, area, destination and patient."""
    f = _factory()
    destination = Place.HOSPITAL if status is E.ARRIVED else None
    event = f.mission(status, T0, "M1", hastegrad=hastegrad, area=area, destination=destination)
    _out, accepted = _send(Planner(seed=1), event, ctx)
    mapped = accepted.events[0]
    assert mapped.occurred_at == T0
    assert mapped.body.mission_id == "M1"  # type: ignore[union-attr]
    assert mapped.body.hastegrad is hastegrad  # type: ignore[union-attr]
    assert mapped.body.area is area  # type: ignore[union-attr]
    assert mapped.body.destination is destination  # type: ignore[union-attr]
    _check_patient(accepted, f)


@pytest.mark.parametrize("kind", [UnitKind.KAD_SOMATISK, UnitKind.SYKESTUE])
def test_kpr_kad_stay_reported_twice(ctx: MappingContext, kind: UnitKind) -> None:
    """A KAD stay is a KPR CSV record sent at admission and again with its end (same start event id)."""
    f = _factory()
    planner = Planner(seed=1)
    _out, admitted = _send(planner, f.kad_admitted(T0, "K1", "LEV-KAD", kind), ctx)
    end = T0 + timedelta(hours=40)
    _out, discharged = _send(planner, f.kad_discharged(end, "K1", "LEV-KAD", Place.HOME, kind), ctx)
    start_event, end_event = discharged.events
    assert start_event.event_id == admitted.events[0].event_id
    assert start_event.occurred_at == T0
    assert start_event.body.bed_kind is kind  # type: ignore[union-attr]
    assert end_event.occurred_at == end
    assert end_event.body.destination is Place.HOME  # type: ignore[union-attr]
    _check_patient(discharged, f)


@pytest.mark.parametrize("service", [ServiceKind.HJEMMESYKEPLEIE, ServiceKind.SYKEHJEM_LANGTID])
def test_kpr_municipal_service(ctx: MappingContext, service: ServiceKind) -> None:
    """A municipal service start renders as a KPR CSV row with the matching tjenestetype."""
    _out, accepted = _send(Planner(seed=1), _factory().service(T0, "S1", service), ctx)
    assert accepted.events[0].body.service is service  # type: ignore[union-attr]
    assert accepted.events[0].occurred_at == T0


def test_manual_avvik_is_not_sent() -> None:
    """A manual avvik report has no source protocol: it is counted as skipped, not sent."""
    planner = Planner(seed=1)
    assert planner.message(_factory().manual(T0, "samhandling")) is None
    assert planner.skipped == 1


def test_log_innlagt_renderer(ctx: MappingContext) -> None:
    """LOG_INNLAGT maps to ADMITTED at the admission time and the notice at the send time."""
    person = person_for(_factory()._patient())
    payload = plo.log_innlagt(person, "msg-1", T0 + timedelta(hours=1), T0)
    admitted, notice = PLO.accept(payload, ctx).events
    assert (admitted.event_type, notice.event_type) == (E.ADMITTED, E.MUNICIPALITY_NOTIFIED)
    assert admitted.occurred_at == T0
    assert notice.occurred_at == T0 + timedelta(hours=1)


@pytest.mark.parametrize(("destination", "mapped"), [(Place.HOME, Place.HOME), (Place.SYKEHJEM, Place.OTHER)])
def test_log_utskrevet_renderer(ctx: MappingContext, destination: Place, mapped: Place) -> None:
    """LOG_UTSKREVET maps to DISCHARGED at the discharge time (UtTil 1 home, else other)."""
    person = person_for(_factory()._patient())
    payload = plo.log_utskrevet(person, "msg-2", T0 + timedelta(hours=1), T0, destination)
    (discharged,) = PLO.accept(payload, ctx).events
    assert discharged.event_type is E.DISCHARGED
    assert discharged.occurred_at == T0
    assert discharged.body.destination is mapped  # type: ignore[union-attr]
