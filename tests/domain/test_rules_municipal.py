"""Scenario tests for SA10/SA11 (KAD), SA12 (ambulance), SA13 (AppRec) and SA14 (manual)."""

from __future__ import annotations

from datetime import timedelta

from hub.domain import AvvikStatus, Engine
from hub.domain.effects import AvvikUpsert
from hub.events import AmbulanceHastegrad, Area, EventType, NoticeKind, Place, UnitKind
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0, Runner, of

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
KAD = "K5037-KAD"


def test_sa10_fires_when_kad_stay_passes_72_hours(run: Runner, f: EventFactory) -> None:
    """A KAD stay still open after 72 h opens SA10."""
    [sa10] = of(run([f.kad_admitted(T0, "K1", KAD)], until=T0 + 4 * D), "SA10")
    assert sa10.status is AvvikStatus.OPEN
    assert sa10.due_at == int((T0 + 72 * H).timestamp())


def test_sa10_silent_for_short_stays(run: Runner, f: EventFactory) -> None:
    """A 50 h KAD stay and a 10-day sykestue stay raise no SA10."""
    short = run(
        [f.kad_admitted(T0, "K1", KAD), f.kad_discharged(T0 + 50 * H, "K1", KAD, Place.HOME)],
        until=T0 + 5 * D,
    )
    syk = run(
        [
            f.kad_admitted(T0, "K2", "K5601-SYK", UnitKind.SYKESTUE),
            f.kad_discharged(T0 + 10 * D, "K2", "K5601-SYK", Place.HOME, UnitKind.SYKESTUE),
        ],
        until=T0 + 20 * D,
    )
    assert of(short, "SA10") == of(syk, "SA10") == []


def test_sa10_resolves_at_late_discharge_and_sykestue_limit_is_14_days(run: Runner, f: EventFactory) -> None:
    """A KAD discharge at 80 h resolves SA10 with an 8 h delay; a sykestue stay of 15 days fires."""
    kad = run(
        [f.kad_admitted(T0, "K1", KAD), f.kad_discharged(T0 + 80 * H, "K1", KAD, Place.HOME)],
        until=T0 + 5 * D,
    )
    syk = run([f.kad_admitted(T0, "K2", "K5601-SYK", UnitKind.SYKESTUE)], until=T0 + 15 * D)
    [sa10] = of(kad, "SA10")
    assert (sa10.status, sa10.delay) == (AvvikStatus.RESOLVED, 8 * 3600)
    assert len(of(syk, "SA10")) == 1


def test_sa10_retracted_when_kad_admission_cancelled(run: Runner, f: EventFactory) -> None:
    """Cancelling the KAD admission message retracts SA10."""
    admitted = f.kad_admitted(T0, "K1", KAD)
    events = [admitted, f.notified(T0 + 4 * D, "X", NoticeKind.ADMISSION), f.cancel(T0 + 4 * D, admitted)]
    [sa10] = of(run(events, until=T0 + 5 * D), "SA10")
    assert sa10.status is AvvikStatus.RETRACTED


def test_sa11_fires_when_kad_patient_goes_to_hospital_within_24_hours(run: Runner, f: EventFactory) -> None:
    """KAD discharge to hospital after 10 h opens SA11."""
    out = f.kad_discharged(T0 + 10 * H, "K1", KAD, Place.HOSPITAL)
    [sa11] = of(run([f.kad_admitted(T0, "K1", KAD), out], until=T0 + D), "SA11")
    assert sa11.evidence[-1] == out.event_id


def test_sa11_silent_after_24_hours_or_home(run: Runner, f: EventFactory) -> None:
    """To hospital after 30 h, or home after 10 h, is no bounce."""
    late = run(
        [f.kad_admitted(T0, "K1", KAD), f.kad_discharged(T0 + 30 * H, "K1", KAD, Place.HOSPITAL)],
        until=T0 + 2 * D,
    )
    home = run(
        [f.kad_admitted(T0, "K2", KAD), f.kad_discharged(T0 + 10 * H, "K2", KAD, Place.HOME)],
        until=T0 + 2 * D,
    )
    assert of(late, "SA11") == of(home, "SA11") == []


def test_sa11_retracted_when_discharge_message_replaced(run: Runner, f: EventFactory) -> None:
    """A PLO M replacing the discharge with destination home retracts SA11 (same id, new status)."""
    out = f.kad_discharged(T0 + 10 * H, "K1", KAD, Place.HOSPITAL)
    fixed = f.replace(
        T0 + 20 * H, out, occurred=T0 + 10 * H, body=out.body.model_copy(update={"destination": Place.HOME})
    )
    events = [f.kad_admitted(T0, "K1", KAD), out, f.notified(T0 + 20 * H, "X", NoticeKind.ADMISSION), fixed]
    [sa11] = of(run(events, until=T0 + 2 * D), "SA11")
    assert sa11.status is AvvikStatus.RETRACTED


def _call(
    f: EventFactory, area: Area = Area.TETTSTED, hast: AmbulanceHastegrad = AmbulanceHastegrad.AKUTT
) -> object:
    return f.mission(EventType.CALL_RECEIVED, T0, "M1", hastegrad=hast, area=area)


def test_sa12_resolves_when_ambulance_arrives_late(run: Runner, f: EventFactory) -> None:
    """On scene after 15 min in a tettsted: SA12 resolved with a 3 min delay."""
    events = [_call(f), f.mission(EventType.ON_SCENE, T0 + 15 * M, "M1")]
    [sa12] = of(run(events, until=T0 + H), "SA12")
    assert (sa12.status, sa12.delay) == (AvvikStatus.RESOLVED, 3 * 60)


def test_sa12_fires_open_without_on_scene(run: Runner, f: EventFactory) -> None:
    """No ON_SCENE 25 min after an akutt rural call: SA12 open."""
    [sa12] = of(run([_call(f, Area.RURAL)], until=T0 + H), "SA12")
    assert sa12.status is AvvikStatus.OPEN


def test_sa12_silent_within_limits_haster_or_cancelled(run: Runner, f: EventFactory) -> None:
    """Rural in 20 min, a haster mission in 40 min, or a mission cancelled in time raise no SA12."""
    rural = run(
        [_call(f, Area.RURAL), f.mission(EventType.ON_SCENE, T0 + 20 * M, "M1", area=Area.RURAL)],
        until=T0 + H,
    )
    haster = run(
        [
            _call(f, hast=AmbulanceHastegrad.HASTER),
            f.mission(EventType.ON_SCENE, T0 + 40 * M, "M1", hastegrad=AmbulanceHastegrad.HASTER),
        ],
        until=T0 + H,
    )
    cancelled = run([_call(f), f.mission(EventType.CANCELLED, T0 + 5 * M, "M1")], until=T0 + H)
    assert of(rural, "SA12") == of(haster, "SA12") == of(cancelled, "SA12") == []


def test_sa12_retracted_when_call_cancelled(run: Runner, f: EventFactory) -> None:
    """A cancel of the CALL_RECEIVED message retracts SA12."""
    call = _call(f)
    events = [call, f.mission(EventType.DISPATCHED, T0 + H, "M2"), f.cancel(T0 + H, call)]  # type: ignore[arg-type]
    [sa12] = of(run(events, until=T0 + 2 * H), "SA12")
    assert sa12.status is AvvikStatus.RETRACTED


def test_sa13_fires_and_resolves_when_message_is_resent(run: Runner, f: EventFactory) -> None:
    """A rejected ready notice opens SA13; the accepted resend resolves it."""
    notice = f.notified(T0 + H, "E1", NoticeKind.READY)
    rejected = f.rejected(T0 + 2 * H, notice, "LOG_UTSKRIVNINGSKLAR")
    opened = run([f.admitted(T0, "E1"), notice, rejected], until=T0 + 3 * H)
    resent = run(
        [f.admitted(T0, "E1"), notice, rejected, f.notified(T0 + 4 * H, "E1", NoticeKind.READY)],
        until=T0 + 5 * H,
    )
    assert [r.status for r in of(opened, "SA13")] == [AvvikStatus.OPEN]
    [sa13] = of(resent, "SA13")
    assert sa13.status is AvvikStatus.RESOLVED


def test_sa13_silent_without_rejection(run: Runner, f: EventFactory) -> None:
    """Accepted messages raise no SA13."""
    records = run([f.admitted(T0, "E1"), f.notified(T0 + H, "E1", NoticeKind.READY)], until=T0 + 3 * H)
    assert of(records, "SA13") == []


def test_sa13_retracted_when_rejection_cancelled(run: Runner, f: EventFactory) -> None:
    """Cancelling the AppRec event retracts SA13."""
    notice = f.notified(T0 + H, "E1", NoticeKind.READY)
    rejected = f.rejected(T0 + 2 * H, notice, "LOG_UTSKRIVNINGSKLAR")
    events = [
        f.admitted(T0, "E1"),
        notice,
        rejected,
        f.notified(T0 + 4 * H, "X", NoticeKind.ADMISSION),
        f.cancel(T0 + 4 * H, rejected),
    ]
    [sa13] = of(run(events, until=T0 + 5 * H), "SA13")
    assert sa13.status is AvvikStatus.RETRACTED


def test_sa14_manual_avvik_with_and_without_patient(md: MasterData, run: Runner, f: EventFactory) -> None:
    """A staff-filed deviation becomes an open SA14 keeping only its category; without a patient too."""
    [with_patient] = of(run([f.manual(T0, "utskrivning")], until=T0 + H), "SA14")
    assert (with_patient.status, with_patient.category, with_patient.pseudonym) == (
        AvvikStatus.OPEN,
        "utskrivning",
        f.pseudonym,
    )
    effects = Engine(md).apply(f.manual(T0, "kapasitet", with_patient=False))
    [record] = [e.record for e in effects if isinstance(e, AvvikUpsert)]
    assert record.pseudonym is None
    assert record.code == "SA14"


def test_sa14_silent_without_report_and_retracted_on_cancel(run: Runner, f: EventFactory) -> None:
    """No report, no SA14; cancelling the report retracts it."""
    report = f.manual(T0, "utskrivning")
    events = [report, f.notified(T0 + H, "X", NoticeKind.ADMISSION), f.cancel(T0 + H, report)]
    [sa14] = of(run(events, until=T0 + 2 * H), "SA14")
    assert sa14.status is AvvikStatus.RETRACTED
    assert of(run([f.admitted(T0, "E1")], until=T0 + H), "SA14") == []
