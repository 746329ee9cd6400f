"""Scenario tests for SA01 (notice of admission), SA02 (innleggelsesrapport) and SA09 (readmission)."""

from __future__ import annotations

from datetime import timedelta

from hub.domain import AvvikStatus, Engine, EngineConfig
from hub.events import EventType, NoticeKind, Place, ServiceKind
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0, Runner, of

H = timedelta(hours=1)
D = timedelta(days=1)


def test_sa01_fires_without_notice(run: Runner, f: EventFactory) -> None:
    """An 84-year-old admitted without a notice to the kommune gets an open SA01 due 24 h later."""
    records = run([f.admitted(T0, "E1")], until=T0 + 2 * D)
    [sa01] = of(records, "SA01")
    assert sa01.status is AvvikStatus.OPEN
    assert sa01.due_at == int((T0 + 24 * H).timestamp())
    assert sa01.helsefellesskap == "HF-HNT"
    assert sa01.kommunenummer == "5037"


def test_sa01_silent_with_timely_notice_or_young_patient(run: Runner, f: EventFactory) -> None:
    """A notice within 24 h, or a young patient without services, raises no SA01."""
    on_time = run(
        [f.admitted(T0, "E1"), f.notified(T0 + 3 * H, "E1", NoticeKind.ADMISSION)], until=T0 + 3 * D
    )
    young = EventFactory("pseudo-young-0001", birth_year=1990)
    no_need = run([young.admitted(T0, "E2")], until=T0 + 3 * D)
    assert of(on_time, "SA01") == []
    assert of(no_need, "SA01") == []


def test_sa01_applies_to_patient_with_services(run: Runner) -> None:
    """A young patient with home nursing needs the notice too."""
    young = EventFactory("pseudo-young-0002", birth_year=1990)
    events = [young.service(T0 - 30 * D, "S1", ServiceKind.HJEMMESYKEPLEIE), young.admitted(T0, "E1")]
    assert len(of(run(events, until=T0 + 2 * D), "SA01")) == 1


def test_sa01_resolves_with_late_notice_and_records_delay(run: Runner, f: EventFactory) -> None:
    """A notice 30 h after admission resolves SA01 with a 6 h delay."""
    events = [f.admitted(T0, "E1"), f.notified(T0 + 30 * H, "E1", NoticeKind.ADMISSION)]
    [sa01] = of(run(events, until=T0 + 3 * D), "SA01")
    assert sa01.status is AvvikStatus.RESOLVED
    assert sa01.delay == 6 * 3600
    assert len(sa01.evidence) == 2


def test_sa01_retracted_by_admission_cancel(md: MasterData, f: EventFactory) -> None:
    """An HL7 A11 after SA01 was published retracts it."""
    engine = Engine(md)
    admitted = f.admitted(T0, "E1")
    engine.apply(admitted)
    opened = [e for e in engine.advance(T0 + 25 * H) if hasattr(e, "record")]
    assert [e.record.status for e in opened] == [AvvikStatus.OPEN]
    effects = engine.apply(f.episode_event(EventType.ADMISSION_CANCELLED, T0 + 25 * H, "E1"))
    effects += engine.advance(T0 + 26 * H)  # the cancel counts once the clock passes it + lateness
    statuses = [e.record.status for e in effects if hasattr(e, "record")]
    assert statuses == [AvvikStatus.RETRACTED]


def test_sa01_retracted_when_on_time_notice_arrives_after_the_deadline_fired(
    md: MasterData, f: EventFactory
) -> None:
    """A notice that occurred in time but arrived beyond the allowed lateness retracts the SA01."""
    engine = Engine(md, config=EngineConfig(allowed_lateness=timedelta(minutes=15)))
    engine.apply(f.admitted(T0, "E1"))
    engine.advance(T0 + 30 * H)
    effects = engine.apply(f.notified(T0 + 2 * H, "E1", NoticeKind.ADMISSION))
    [record] = [e.record for e in effects if hasattr(e, "record")]
    assert record.status is AvvikStatus.RETRACTED


def test_sa01_plo_cancel_of_notice_reopens(run: Runner, f: EventFactory) -> None:
    """A notice cancelled by PLO C no longer counts, so SA01 fires."""
    notice = f.notified(T0 + 2 * H, "E1", NoticeKind.ADMISSION)
    events = [f.admitted(T0, "E1"), notice, f.cancel(T0 + 3 * H, notice)]
    [sa01] = of(run(events, until=T0 + 2 * D), "SA01")
    assert sa01.status is AvvikStatus.OPEN


def _nursing(f: EventFactory) -> list:  # type: ignore[type-arg]
    return [f.service(T0 - 60 * D, "S1", ServiceKind.HJEMMESYKEPLEIE)]


def test_sa02_fires_for_acute_admission_with_home_nursing(run: Runner, f: EventFactory) -> None:
    """An acute admission of a home-nursing patient without innleggelsesrapport opens SA02."""
    records = run([*_nursing(f), f.admitted(T0, "E1")], until=T0 + 2 * D)
    [sa02] = of(records, "SA02")
    assert sa02.status is AvvikStatus.OPEN


def test_sa02_silent_with_report_or_planned_admission(run: Runner, f: EventFactory) -> None:
    """A timely report (even without episode id) or a planned admission raises no SA02."""
    with_report = run(
        [*_nursing(f), f.admitted(T0, "E1"), f.report(EventType.INNLEGGELSESRAPPORT_SENT, T0 + 2 * H, None)],
        until=T0 + 2 * D,
    )
    planned = run([*_nursing(f), f.admitted(T0, "E2", acute=False)], until=T0 + 2 * D)
    assert of(with_report, "SA02") == []
    assert of(planned, "SA02") == []


def test_sa02_resolves_with_late_report(run: Runner, f: EventFactory) -> None:
    """A report 30 h after admission resolves SA02 with its delay."""
    events = [
        *_nursing(f),
        f.admitted(T0, "E1"),
        f.report(EventType.INNLEGGELSESRAPPORT_SENT, T0 + 30 * H, "E1"),
    ]
    [sa02] = of(run(events, until=T0 + 3 * D), "SA02")
    assert sa02.status is AvvikStatus.RESOLVED
    assert sa02.delay == 6 * 3600


def test_sa02_retracted_by_admission_cancel(run: Runner, f: EventFactory) -> None:
    """An HL7 A11 arriving after SA02 fired retracts it."""
    events = [
        *_nursing(f),
        f.admitted(T0, "E1"),
        f.notified(T0 + H, "E1", NoticeKind.ADMISSION),
        f.notified(T0 + 3 * D, "E1", NoticeKind.READY),  # moves the watermark past the SA02 deadline
        f.episode_event(EventType.ADMISSION_CANCELLED, T0 + 3 * D, "E1"),
    ]
    [sa02] = of(run(events, until=T0 + 4 * D), "SA02")
    assert sa02.status is AvvikStatus.RETRACTED


def test_sa09_fires_on_acute_readmission_within_30_days(run: Runner, f: EventFactory) -> None:
    """An acute admission 9 days after a discharge home opens SA09 naming both events."""
    discharge = f.discharged(T0 + D, "E1", Place.HOME)
    again = f.admitted(T0 + 10 * D, "E2")
    records = run([f.admitted(T0, "E1"), discharge, again], until=T0 + 11 * D)
    [sa09] = of(records, "SA09")
    assert sa09.evidence == (discharge.event_id, again.event_id)
    assert sa09.status is AvvikStatus.OPEN


def test_sa09_silent_for_planned_late_or_transfer(run: Runner, f: EventFactory) -> None:
    """A planned readmission, one after 40 days, or one after a transfer to another hospital is no SA09."""
    planned = run(
        [f.admitted(T0, "E1"), f.discharged(T0 + D, "E1"), f.admitted(T0 + 5 * D, "E2", acute=False)],
        until=T0 + 6 * D,
    )
    late = run(
        [f.admitted(T0, "E1"), f.discharged(T0 + D, "E1"), f.admitted(T0 + 41 * D, "E2")], until=T0 + 42 * D
    )
    transfer = run(
        [f.admitted(T0, "E1"), f.discharged(T0 + D, "E1", Place.HOSPITAL), f.admitted(T0 + D + H, "E2")],
        until=T0 + 3 * D,
    )
    assert of(planned, "SA09") == of(late, "SA09") == of(transfer, "SA09") == []


def test_sa09_retracted_when_readmission_cancelled(run: Runner, f: EventFactory) -> None:
    """Cancelling the readmission (A11) retracts SA09."""
    events = [
        f.admitted(T0, "E1"),
        f.discharged(T0 + D, "E1"),
        f.admitted(T0 + 10 * D, "E2"),
        f.notified(T0 + 11 * D, "E2", NoticeKind.ADMISSION),
        f.episode_event(EventType.ADMISSION_CANCELLED, T0 + 11 * D, "E2"),
    ]
    [sa09] = of(run(events, until=T0 + 12 * D), "SA09")
    assert sa09.status is AvvikStatus.RETRACTED
