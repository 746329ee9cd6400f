"""Property tests: clean pathways, arrival-order invariance, deterministic ids, pricing, deadlines."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hub.domain import DeadlineScheduler
from hub.domain.overlig import DOGNPRIS_2014_2024, count_overlig, price
from hub.domain.timeutil import local_midnight, to_epoch
from hub.events import Event, EventType, NoticeKind, Place, ServiceKind
from hub.masterdata import MasterData, load_masterdata
from hub.synth import SynthConfig, generate
from hub.synth.build import EventFactory, utc
from tests.domain.helpers import LATENESS, run_events

H = timedelta(hours=1)
D = timedelta(days=1)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def clean_pathway(draw: st.DrawFn) -> list[Event]:
    """A pathway in which every message is on time."""
    f = EventFactory(
        f"pseudo-clean-{draw(st.integers(0, 10**6)):07d}", birth_year=draw(st.integers(1925, 2000))
    )
    start = utc(2024, 1, 1) + timedelta(minutes=draw(st.integers(0, 300 * 24 * 60)))
    events = [f.service(start - 30 * D, "S1", ServiceKind.HJEMMESYKEPLEIE)]
    call = start - H
    events += [
        f.mission(EventType.CALL_RECEIVED, call, "M1"),
        f.mission(EventType.ON_SCENE, call + timedelta(minutes=draw(st.integers(1, 11))), "M1"),
        f.mission(EventType.ARRIVED, call + 40 * timedelta(minutes=1), "M1", destination=Place.HOSPITAL),
    ]
    events += [
        f.admitted(start, "E1"),
        f.notified(start + timedelta(minutes=draw(st.integers(1, 23 * 60))), "E1", NoticeKind.ADMISSION),
        f.report(
            EventType.INNLEGGELSESRAPPORT_SENT, start + timedelta(minutes=draw(st.integers(1, 23 * 60))), "E1"
        ),
    ]
    ready = start + timedelta(hours=draw(st.integers(24, 240)))
    midnight = local_midnight(date.fromtimestamp(to_epoch(ready)) + D)  # noqa: DTZ012 - only a bound
    room = max(2, min(6 * 60, (midnight - to_epoch(ready)) // 60 - 5))
    notice = ready + timedelta(minutes=draw(st.integers(1, room // 2)))
    answer = notice + timedelta(minutes=draw(st.integers(1, room // 2)))
    events += [
        f.episode_event(EventType.DECLARED_READY, ready, "E1"),
        f.notified(notice, "E1", NoticeKind.READY),
        f.responded(answer, "E1", can_receive=True, receive_date=None),
    ]
    out = answer + timedelta(minutes=draw(st.integers(10, 600)))
    events += [
        f.report(EventType.UTSKRIVNINGSRAPPORT_SENT, out - timedelta(minutes=5), "E1"),
        f.discharged(out, "E1", Place.HOME_NURSING),
        f.report(EventType.EPIKRISE_SENT, out + timedelta(minutes=draw(st.integers(1, 23 * 60))), "E1"),
    ]
    return sorted(events, key=lambda e: (e.occurred_at, e.event_id))


@FAST
@given(events=clean_pathway())
def test_clean_pathway_raises_no_avvik(md: MasterData, events: list[Event]) -> None:
    """A pathway where every message is on time raises no avvik at all."""
    records = run_events(md, events, events[-1].occurred_at + 60 * D)
    assert records == {}


def _synthetic(seed: int, count: int = 400) -> list[Event]:
    config = SynthConfig(seed=seed, span_days=20, deviation_share=0.4)
    return list(generate(load_masterdata(), config, count))


def _arrival_order(events: list[Event], seed: int) -> list[Event]:
    """Each event delayed by less than the allowed lateness, then sorted by arrival."""
    rng = random.Random(seed)
    limit = int(LATENESS.total_seconds()) - 1
    delayed = [(e.occurred_at + timedelta(seconds=rng.randint(0, limit)), i, e) for i, e in enumerate(events)]
    return [e for _, _, e in sorted(delayed, key=lambda x: (x[0], x[1]))]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), shuffle=st.integers(0, 10_000), eager=st.booleans())
def test_permutation_within_lateness_gives_same_avvik(
    md: MasterData, seed: int, shuffle: int, eager: bool
) -> None:
    """Delivering events out of order within the allowed lateness gives the same final avvik set."""
    events = _synthetic(seed)
    until = events[-1].occurred_at + 3 * D
    in_order = run_events(md, events, until)
    shuffled = run_events(md, _arrival_order(events, shuffle), until, eager=eager)
    assert shuffled == in_order
    assert in_order  # the synthetic input does contain deviations


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_replay_gives_identical_ids(md: MasterData, seed: int) -> None:
    """Replaying the same input into a fresh engine gives identical avvik ids and records."""
    events = _synthetic(seed, 300)
    until = events[-1].occurred_at + D
    first = run_events(md, events, until)
    second = run_events(md, events, until)
    assert sorted(first) == sorted(second)
    assert first == second
    assert first  # the synthetic input does contain deviations


@given(
    start=st.datetimes(
        min_value=utc(2014, 1, 1).replace(tzinfo=None), max_value=utc(2024, 12, 1).replace(tzinfo=None)
    ),
    hours=st.integers(1, 24 * 40),
)
# the window runs into 2025, a year without a price: the amount is unknown, not the priced days alone
@example(start=utc(2024, 12, 1).replace(tzinfo=None), hours=768)
def test_betalingsplikt_is_days_times_dognpris(start: object, hours: int) -> None:
    """The amount is the sum of each counted day's døgnpris; within one year that is days x døgnpris."""
    declared = to_epoch(start.replace(tzinfo=utc(2024, 1, 1).tzinfo))  # type: ignore[attr-defined]
    stop = declared + hours * 3600
    count = count_overlig(declared, declared, stop, [], stop + 1)
    assert count is not None
    cost = price(count.days, DOGNPRIS_2014_2024)
    # a day in a year without a price (2025: the window runs 40 days past 1 Dec 2024) is left unpriced
    unpriced = [d for d in count.days if d.year not in DOGNPRIS_2014_2024]
    expected = None if unpriced else sum(DOGNPRIS_2014_2024[d.year] for d in count.days)
    assert cost.amount_nok == expected
    assert cost.unpriced_days == sum(1 for d in count.days if d.year not in DOGNPRIS_2014_2024)
    years = {d.year for d in count.days}
    if len(years) == 1 and next(iter(years)) in DOGNPRIS_2014_2024:
        assert cost.amount_nok == len(count.days) * DOGNPRIS_2014_2024[years.pop()]
    assert abs(len(count.days) - hours / 24) <= 1


@given(
    ops=st.lists(
        st.tuples(st.sampled_from(["schedule", "cancel", "pop"]), st.integers(0, 30), st.integers(0, 1000)),
        max_size=200,
    )
)
def test_scheduler_fires_each_deadline_once_in_due_order(ops: list[tuple[str, int, int]]) -> None:
    """Every live deadline fires exactly once, at or after its time, in (fire_at, key) order."""
    scheduler = DeadlineScheduler()
    expected: dict[str, int] = {}
    fired: list[tuple[int, str]] = []
    now = 0
    for op, key_no, at in ops:
        key = f"k{key_no}"
        if op == "schedule":
            scheduler.schedule(key, at)
            expected[key] = at
        elif op == "cancel":
            scheduler.cancel(key)
            expected.pop(key, None)
        else:
            now = max(now, at)
            batch = scheduler.pop_due(now)
            assert batch == sorted(batch)
            for fire_at, k in batch:
                assert fire_at <= now
                assert expected.pop(k) == fire_at
            fired.extend(batch)
    rest = scheduler.pop_due(10**9)
    assert rest == sorted(rest)
    assert {k: t for t, k in rest} == expected
    assert len(scheduler) == 0
