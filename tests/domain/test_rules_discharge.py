"""Scenario tests for SA06 (no agreement), SA07 (epikrise) and SA08 (utskrivningsrapport)."""

from __future__ import annotations

from datetime import timedelta

from hub.domain import AvvikStatus
from hub.events import EventType, NoticeKind, Place, ServiceKind
from hub.synth.build import EventFactory
from tests.domain.helpers import T0, Runner, of

H = timedelta(hours=1)
D = timedelta(days=1)
OUT = T0 + 3 * D


def _stay(f: EventFactory) -> list:  # type: ignore[type-arg]
    return [f.admitted(T0, "E1"), f.notified(T0 + H, "E1", NoticeKind.ADMISSION)]


def _epikrise(f: EventFactory, at: object = None) -> object:
    return f.report(EventType.EPIKRISE_SENT, OUT + 2 * H, "E1")


def test_sa06_fires_on_discharge_to_sykehjem_without_agreement(run: Runner, f: EventFactory) -> None:
    """Discharge to sykehjem without a "can receive" answer opens SA06 at the discharge."""
    records = run([*_stay(f), f.discharged(OUT, "E1", Place.SYKEHJEM)], until=OUT + H)
    [sa06] = of(records, "SA06")
    assert sa06.detected_at == int(OUT.timestamp())


def test_sa06_silent_with_agreement_or_discharge_home(run: Runner, f: EventFactory) -> None:
    """An earlier "can receive" answer, or a discharge home, raises no SA06."""
    agreed = run(
        [
            *_stay(f),
            f.responded(OUT - 5 * H, "E1", can_receive=True),
            f.discharged(OUT, "E1", Place.SYKEHJEM),
        ],
        until=OUT + H,
    )
    home = run([*_stay(f), f.discharged(OUT, "E1", Place.HOME)], until=OUT + H)
    assert of(agreed, "SA06") == of(home, "SA06") == []


def test_sa06_retracted_when_agreement_arrives_late_or_discharge_cancelled(
    run: Runner, f: EventFactory
) -> None:
    """An agreement that occurred before discharge but arrived late, or an A13, retracts SA06."""
    late_answer = run(
        [
            *_stay(f),
            f.discharged(OUT, "E1", Place.SYKEHJEM),
            _epikrise(f),
            f.responded(OUT - 5 * H, "E1", can_receive=True),
        ],
        until=OUT + D,
    )
    cancelled = run(
        [
            *_stay(f),
            f.discharged(OUT, "E1", Place.SYKEHJEM),
            f.episode_event(EventType.DISCHARGE_CANCELLED, OUT + 2 * H, "E1"),
        ],
        until=OUT + D,
    )
    assert [r.status for r in of(late_answer, "SA06")] == [AvvikStatus.RETRACTED]
    assert [r.status for r in of(cancelled, "SA06")] == [AvvikStatus.RETRACTED]


def test_sa07_fires_without_epikrise(run: Runner, f: EventFactory) -> None:
    """No epikrise within a day of discharge opens SA07."""
    [sa07] = of(run([*_stay(f), f.discharged(OUT, "E1")], until=OUT + 2 * D), "SA07")
    assert sa07.status is AvvikStatus.OPEN


def test_sa07_silent_with_timely_epikrise_or_death(run: Runner, f: EventFactory) -> None:
    """An epikrise 2 h after discharge, or a death, raises no SA07."""
    timely = run([*_stay(f), f.discharged(OUT, "E1"), _epikrise(f)], until=OUT + 2 * D)
    died = run([*_stay(f), f.died(OUT, "E1")], until=OUT + 2 * D)
    assert of(timely, "SA07") == of(died, "SA07") == []


def test_sa07_resolves_with_late_epikrise(run: Runner, f: EventFactory) -> None:
    """An epikrise 30 h after discharge resolves SA07 with a 6 h delay."""
    events = [*_stay(f), f.discharged(OUT, "E1"), f.report(EventType.EPIKRISE_SENT, OUT + 30 * H, "E1")]
    [sa07] = of(run(events, until=OUT + 3 * D), "SA07")
    assert (sa07.status, sa07.delay) == (AvvikStatus.RESOLVED, 6 * 3600)


def test_sa07_rejected_epikrise_does_not_count(run: Runner, f: EventFactory) -> None:
    """An epikrise rejected by AppRec does not satisfy SA07 (and raises SA13)."""
    epikrise = f.report(EventType.EPIKRISE_SENT, OUT + 2 * H, "E1")
    events = [*_stay(f), f.discharged(OUT, "E1"), epikrise, f.rejected(OUT + 3 * H, epikrise, "EPIKRISE")]
    records = run(events, until=OUT + 2 * D)
    assert [r.status for r in of(records, "SA07")] == [AvvikStatus.OPEN]
    assert [r.status for r in of(records, "SA13")] == [AvvikStatus.OPEN]


def test_sa07_retracted_by_discharge_cancel(run: Runner, f: EventFactory) -> None:
    """An A13 after SA07 fired retracts it."""
    events = [
        *_stay(f),
        f.discharged(OUT, "E1"),
        f.episode_event(EventType.DISCHARGE_CANCELLED, OUT + 2 * D, "E1"),
    ]
    [sa07] = of(run(events, until=OUT + 3 * D), "SA07")
    assert sa07.status is AvvikStatus.RETRACTED


def test_sa08_fires_on_discharge_to_home_nursing_without_report(run: Runner, f: EventFactory) -> None:
    """Discharge to home nursing without utskrivningsrapport in 24 h opens SA08."""
    [sa08] = of(run([*_stay(f), f.discharged(OUT, "E1", Place.HOME_NURSING)], until=OUT + 2 * D), "SA08")
    assert sa08.status is AvvikStatus.OPEN


def test_sa08_applies_to_home_with_existing_home_nursing(run: Runner, f: EventFactory) -> None:
    """A discharge "home" of a patient who already has home nursing needs the report too."""
    events = [f.service(T0 - 9 * D, "S1", ServiceKind.HJEMMESYKEPLEIE), *_stay(f), f.discharged(OUT, "E1")]
    assert len(of(run(events, until=OUT + 2 * D), "SA08")) == 1


def test_sa08_silent_with_report_or_plain_home(run: Runner, f: EventFactory) -> None:
    """A report at discharge, or a discharge home without services, raises no SA08."""
    reported = run(
        [
            *_stay(f),
            f.report(EventType.UTSKRIVNINGSRAPPORT_SENT, OUT - H, "E1"),
            f.discharged(OUT, "E1", Place.HOME_NURSING),
        ],
        until=OUT + 2 * D,
    )
    home = run([*_stay(f), f.discharged(OUT, "E1", Place.HOME)], until=OUT + 2 * D)
    assert of(reported, "SA08") == of(home, "SA08") == []


def test_sa08_resolves_with_late_report(run: Runner, f: EventFactory) -> None:
    """A report 26 h after discharge resolves SA08 with a 2 h delay."""
    events = [
        *_stay(f),
        f.discharged(OUT, "E1", Place.SYKEHJEM),
        f.report(EventType.UTSKRIVNINGSRAPPORT_SENT, OUT + 26 * H, "E1"),
    ]
    [sa08] = of(run(events, until=OUT + 3 * D), "SA08")
    assert (sa08.status, sa08.delay) == (AvvikStatus.RESOLVED, 2 * 3600)


def test_sa08_retracted_by_discharge_cancel(run: Runner, f: EventFactory) -> None:
    """An A13 after SA08 fired retracts it."""
    events = [
        *_stay(f),
        f.discharged(OUT, "E1", Place.SYKEHJEM),
        f.episode_event(EventType.DISCHARGE_CANCELLED, OUT + 2 * D, "E1"),
    ]
    [sa08] = of(run(events, until=OUT + 3 * D), "SA08")
    assert sa08.status is AvvikStatus.RETRACTED
