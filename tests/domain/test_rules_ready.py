"""Scenario tests for SA03 (late ready notice), SA04 (no answer) and SA05 (overliggedøgn)."""

from __future__ import annotations

from datetime import date, timedelta

from hub.domain import AvvikStatus
from hub.domain.overlig import DOGNPRIS_2014_2024
from hub.events import EventType, NoticeKind, Place
from hub.synth.build import EventFactory, utc
from tests.domain.helpers import T0, Runner, of

H = timedelta(hours=1)
D = timedelta(days=1)
READY = T0 + 2 * D  # Wednesday 6 March 2024, 09:00 UTC (10:00 in Oslo)


def _ready(f: EventFactory) -> list:  # type: ignore[type-arg]
    return [
        f.admitted(T0, "E1"),
        f.notified(T0 + H, "E1", NoticeKind.ADMISSION),
        f.episode_event(EventType.DECLARED_READY, READY, "E1"),
    ]


def test_sa03_fires_when_no_notice_the_same_day(run: Runner, f: EventFactory) -> None:
    """Without a ready notice by Oslo midnight SA03 opens, due at that midnight."""
    [sa03] = of(run(_ready(f), until=READY + D), "SA03")
    assert sa03.status is AvvikStatus.OPEN
    assert sa03.due_at == int(utc(2024, 3, 6, 23).timestamp())  # 00:00 Oslo (CET)


def test_sa03_silent_with_same_day_notice(run: Runner, f: EventFactory) -> None:
    """A ready notice four hours later the same day raises no SA03."""
    events = [*_ready(f), f.notified(READY + 4 * H, "E1", NoticeKind.READY)]
    assert of(run(events, until=READY + 2 * D), "SA03") == []


def test_sa03_resolves_with_next_day_notice(run: Runner, f: EventFactory) -> None:
    """A notice the next morning resolves SA03 with its delay after midnight."""
    events = [*_ready(f), f.notified(utc(2024, 3, 7, 8), "E1", NoticeKind.READY)]
    [sa03] = of(run(events, until=READY + 3 * D), "SA03")
    assert sa03.status is AvvikStatus.RESOLVED
    assert sa03.delay == 9 * 3600


def test_sa03_retracted_when_ready_message_cancelled(run: Runner, f: EventFactory) -> None:
    """A PLO C cancelling the utskrivningsklar message retracts SA03."""
    events = _ready(f)
    late = READY + 2 * D
    events += [f.notified(late, "E1", NoticeKind.ADMISSION), f.cancel(late, events[-1])]
    [sa03] = of(run(events, until=late + D), "SA03")
    assert sa03.status is AvvikStatus.RETRACTED


def test_sa04_fires_when_kommune_does_not_answer(run: Runner, f: EventFactory) -> None:
    """A ready notice without an answer by midnight opens SA04."""
    events = [*_ready(f), f.notified(READY + H, "E1", NoticeKind.READY)]
    [sa04] = of(run(events, until=READY + D), "SA04")
    assert sa04.status is AvvikStatus.OPEN


def test_sa04_silent_with_same_day_answer(run: Runner, f: EventFactory) -> None:
    """An answer the same afternoon raises no SA04."""
    events = [
        *_ready(f),
        f.notified(READY + H, "E1", NoticeKind.READY),
        f.responded(READY + 5 * H, "E1", can_receive=True, receive_date=date(2024, 3, 6)),
    ]
    assert of(run(events, until=READY + 2 * D), "SA04") == []


def test_sa04_resolves_with_next_day_answer(run: Runner, f: EventFactory) -> None:
    """An answer the next day resolves SA04."""
    events = [
        *_ready(f),
        f.notified(READY + H, "E1", NoticeKind.READY),
        f.responded(utc(2024, 3, 7, 11), "E1", can_receive=False),
    ]
    [sa04] = of(run(events, until=READY + 3 * D), "SA04")
    assert sa04.status is AvvikStatus.RESOLVED
    assert sa04.delay == 12 * 3600


def test_sa04_retracted_when_notice_cancelled(run: Runner, f: EventFactory) -> None:
    """Cancelling the ready notice (PLO C) retracts the SA04 it caused."""
    notice = f.notified(READY + H, "E1", NoticeKind.READY)
    filler = f.notified(READY + 2 * D, "E1", NoticeKind.ADMISSION)  # moves the clock past the deadline
    events = [*_ready(f), notice, filler, f.cancel(READY + 2 * D, notice)]
    [sa04] = of(run(events, until=READY + 3 * D), "SA04")
    assert sa04.status is AvvikStatus.RETRACTED


def test_sa05_counts_and_prices_days_until_discharge(run: Runner, f: EventFactory) -> None:
    """Ready and notified on 6 March, kommune cannot receive, discharged 9 March: 3 days at the 2024 price."""
    events = [
        *_ready(f),
        f.notified(READY + H, "E1", NoticeKind.READY),
        f.responded(READY + 3 * H, "E1", can_receive=False),
        f.discharged(READY + 3 * D, "E1", Place.SYKEHJEM),
    ]
    [sa05] = of(run(events, until=READY + 5 * D), "SA05")
    assert sa05.status is AvvikStatus.RESOLVED
    assert (sa05.days, sa05.amount_nok) == (3, 3 * DOGNPRIS_2014_2024[2024])
    assert sa05.kommunenummer == "5037"


def test_sa05_open_and_growing_while_patient_waits(run: Runner, f: EventFactory) -> None:
    """While the patient is still in hospital SA05 is open and counts the days passed so far."""
    events = [*_ready(f), f.notified(READY + H, "E1", NoticeKind.READY)]
    [sa05] = of(run(events, until=READY + 2 * D + H), "SA05")
    assert sa05.status is AvvikStatus.OPEN
    assert sa05.days == 2


def test_sa05_silent_when_kommune_can_receive(run: Runner, f: EventFactory) -> None:
    """No days when the kommune can receive the same day, or when no notice was sent."""
    can = run(
        [
            *_ready(f),
            f.notified(READY + H, "E1", NoticeKind.READY),
            f.responded(READY + 2 * H, "E1", can_receive=True),
            f.discharged(READY + 2 * D, "E1", Place.SYKEHJEM),
        ],
        until=READY + 3 * D,
    )
    no_notice = run([*_ready(f), f.discharged(READY + 2 * D, "E1")], until=READY + 3 * D)
    assert of(can, "SA05") == of(no_notice, "SA05") == []


def test_sa05_stops_at_the_receive_date(run: Runner, f: EventFactory) -> None:
    """ "Can receive from 8 March": days 6 and 7 March are paid, later ones are not."""
    events = [
        *_ready(f),
        f.notified(READY + H, "E1", NoticeKind.READY),
        f.responded(READY + 2 * H, "E1", can_receive=True, receive_date=date(2024, 3, 8)),
        f.discharged(READY + 5 * D, "E1", Place.SYKEHJEM),
    ]
    [sa05] = of(run(events, until=READY + 6 * D), "SA05")
    assert sa05.days == 2


def test_sa05_unknown_dognpris_counts_days_but_no_amount(run: Runner) -> None:
    """In a year without a døgnpris the days are counted and the amount is unknown."""
    f = EventFactory("pseudo-patient-2030", birth_year=1950)
    ready = utc(2030, 3, 6, 9)
    events = [
        f.admitted(ready - 2 * D, "E1"),
        f.notified(ready - D, "E1", NoticeKind.ADMISSION),
        f.episode_event(EventType.DECLARED_READY, ready, "E1"),
        f.notified(ready + H, "E1", NoticeKind.READY),
        f.discharged(ready + 3 * D, "E1", Place.SYKEHJEM),
    ]
    [sa05] = of(run(events, until=ready + 4 * D), "SA05")
    assert (sa05.days, sa05.amount_nok, sa05.unpriced_days) == (3, None, 3)
    assert "pris ukjent" in sa05.text_no


def test_sa05_retracted_when_ready_cancelled(run: Runner, f: EventFactory) -> None:
    """Cancelling DECLARED_READY (PLO C) retracts the overliggedøgn it caused."""
    events = _ready(f)
    declared = events[-1]
    filler = f.notified(READY + 3 * D, "E1", NoticeKind.ADMISSION)  # moves the clock: days are counted
    events += [f.notified(READY + H, "E1", NoticeKind.READY), filler, f.cancel(READY + 3 * D, declared)]
    [sa05] = of(run(events, until=READY + 4 * D), "SA05")
    assert sa05.status is AvvikStatus.RETRACTED
