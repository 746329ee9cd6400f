"""Judging each patient once per batch (``Engine.defer``/``hold``/``settle``) gives the outputs, by key, of
judging after every event (``apply``/``advance``): issue #15's "evaluation once per patient per batch
wherever that gives the same results". A batch driver (the replay) takes only the last version of each key.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from hub.domain import (
    ApplyFailed,
    AvvikStatus,
    AvvikUpsert,
    BedSegment,
    Effect,
    Engine,
    EngineConfig,
    JudgementFailed,
    PathwayChanged,
    PathwayState,
)
from hub.domain import engine as engine_module
from hub.domain.episodes import Episodes
from hub.domain.rules import RULES
from hub.domain.rules.base import RuleContext, Sink
from hub.events import Event, EventType, Place
from hub.masterdata import load_masterdata
from hub.synth.build import EventFactory
from hub.synth.generator import SynthConfig, generate

from .helpers import T0

MD = load_masterdata()


def _region(seed: int, n: int) -> list[Event]:
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        span_days=20,
        deviation_share=0.3,
        seed=seed,
    )
    return list(generate(MD, config, n))


def _by_key(engine: Engine, effects: Sequence[Effect]) -> tuple[dict[str, object], ...]:
    """The last version of every avvik record and pathway summary, and each patient's bed segments."""
    avvik: dict[str, object] = {}
    states: dict[str, object] = {}
    for effect in effects:
        assert not isinstance(effect, JudgementFailed | ApplyFailed), effect
        if isinstance(effect, AvvikUpsert):
            avvik[effect.record.avvik_id] = effect.record
        elif isinstance(effect, PathwayChanged):
            states[effect.pseudonym] = effect.summary
    segments = {p: dict(s.segments) for p in states if (s := engine.state(p)) is not None}
    return avvik, states, segments


def _per_event(events: Sequence[Event]) -> tuple[Engine, list[Effect]]:
    engine = Engine(MD)
    effects: list[Effect] = []
    clock: datetime | None = None
    for event in events:
        effects.extend(engine.apply(event))
        clock = event.occurred_at if clock is None or event.occurred_at > clock else clock
        effects.extend(engine.advance(clock))
    return engine, effects


def _per_batch(events: Sequence[Event], sizes: random.Random) -> tuple[Engine, list[Effect], int]:
    engine = Engine(MD)
    effects: list[Effect] = []
    clock: datetime | None = None
    batches = 0
    i = 0
    while i < len(events):
        size = sizes.randint(1, 400)
        for event in events[i : i + size]:
            effects.extend(engine.defer(event))
            clock = event.occurred_at if clock is None or event.occurred_at > clock else clock
            engine.hold(clock)
        effects.extend(engine.settle())
        batches += 1
        i += size
    return engine, effects, batches


@pytest.mark.parametrize("seed", [3, 8])
def test_judging_once_per_batch_gives_the_outputs_of_judging_per_event(seed: int) -> None:
    region = _region(seed, 4_000)
    reference, want_effects = _per_event(region)
    engine, got_effects, batches = _per_batch(region, random.Random(seed))
    want, got = _by_key(reference, want_effects), _by_key(engine, got_effects)

    avvik = want[0]
    assert len(avvik) > 100, "the region should raise avvik"
    # facts that came late (or corrections) retracted what an earlier judgement had found: the deferred
    # judgement must have seen that earlier view too
    assert any(r.status is AvvikStatus.RETRACTED for r in avvik.values())  # type: ignore[attr-defined]
    assert sum(len(s) for s in want[2].values()) > 50, "the region should occupy beds"
    assert got == want
    assert len(got_effects) < 0.7 * len(want_effects), "each patient judged once per batch, not per event"
    assert batches > 10


def _stay() -> tuple[EventFactory, list[Event]]:
    f = EventFactory("pseudo-deferred-0001")
    return f, [
        f.admitted(T0, "E1"),
        f.episode_event(EventType.DECLARED_READY, T0 + timedelta(days=2), "E1"),
        EventFactory("pseudo-deferred-0002").admitted(T0 + timedelta(days=2, hours=1), "E7"),
        f.discharged(T0 + timedelta(days=4), "E1", Place.SYKEHJEM),
    ]


def _both(events: list[Event]) -> tuple[Engine, list[Effect], Engine, list[Effect]]:
    """The events per event (apply, advance) and deferred (defer, hold) with one settle at the end."""
    config = EngineConfig(allowed_lateness=timedelta(minutes=15))
    reference, engine = Engine(MD, config=config), Engine(MD, config=config)
    want: list[Effect] = []
    got: list[Effect] = []
    for event in events:
        try:
            want += reference.apply(event)
        except RuntimeError:
            want.append(ApplyFailed(event.event_id, "raised"))
        want += reference.advance(event.occurred_at)
        got += engine.defer(event)
        engine.hold(event.occurred_at)
    want += reference.advance(T0 + timedelta(days=10))
    got += engine.settle(T0 + timedelta(days=10))
    return reference, want, engine, got


def _failures(effects: list[Effect]) -> list[tuple[str, str]]:
    return [
        (type(e).__name__, e.pseudonym if isinstance(e, JudgementFailed) else e.event_id)
        for e in effects
        if isinstance(e, JudgementFailed | ApplyFailed)
    ]


def _states(engine: Engine, events: list[Event]) -> dict[str, object]:
    """The failing patient's state (judged per event on both sides; the other one's once per batch)."""
    pseudonym = events[0].patient.pseudonym if events[0].patient else ""
    state = engine.state(pseudonym)
    return {} if state is None else state.to_dict()


def test_a_judgement_that_fails_in_a_batch_fails_as_it_does_per_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rule that raises on one patient's facts: the deferred judgement of its batch fails, so its events
    are taken again as per event. The same reports (a JudgementFailed at the deadline), the same state and
    outputs as per event; the other patient unharmed."""
    _, events = _stay()
    poison = events[1].event_id
    original = RULES["SA08"]

    def rule(ctx: RuleContext, sink: Sink) -> None:
        if any(f.id == poison for stay in ctx.episodes.stays.values() for f in stay.facts):
            raise RuntimeError("rule bug")
        original(ctx, sink)

    monkeypatch.setitem(RULES, "SA08", rule)
    reference, want, engine, got = _both(events)
    assert _failures(got) == _failures(want) != []
    assert {k for k, _ in _failures(got)} == {"JudgementFailed"}
    assert _states(engine, events) == _states(reference, events)
    assert _by_key(engine, _ok(got))[:2] == _by_key(reference, _ok(want))[:2]


def _ok(effects: list[Effect]) -> list[Effect]:
    return [e for e in effects if not isinstance(e, JudgementFailed | ApplyFailed)]


def test_an_event_the_core_fails_on_in_a_batch_is_reported_alone_and_the_rest_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The core raises on one event even before any rule sees it (the bed segments of its facts): per event
    that apply raises and the event is dead-lettered; deferred, it is an ApplyFailed of that event, and the
    patient's other events are kept as per event."""
    f, events = _stay()
    poison = events[1].event_id
    real = engine_module.derive_segments

    def broken(pseudonym: str, eps: Episodes) -> dict[str, BedSegment]:
        if any(fact.id == poison for stay in eps.stays.values() for fact in stay.facts):
            raise RuntimeError("segment bug")
        return real(pseudonym, eps)

    monkeypatch.setattr(engine_module, "derive_segments", broken)
    reference, want, engine, got = _both(events)
    assert _failures(got) == [("ApplyFailed", poison)]
    assert _failures(want) == [("ApplyFailed", poison)]
    assert isinstance(next(e for e in got if isinstance(e, ApplyFailed)).exc, RuntimeError)
    assert poison not in (engine.state(f.pseudonym) or PathwayState("")).facts
    assert _states(engine, events) == _states(reference, events)
    assert _by_key(engine, _ok(got)) == _by_key(reference, _ok(want))


def test_a_late_event_meets_the_judgement_it_contradicts() -> None:
    """A patient due for judgement, then a fact older than that instant: the judgement comes first (its
    avvik then retracted or resolved), as with a judgement per event, not one judgement that never saw it."""
    f = EventFactory("pseudo-deferred-0003")
    admitted = f.admitted(T0, "E1")
    later = T0 + timedelta(days=3)
    late_cancel = f.cancel(T0 + timedelta(days=3, minutes=1), admitted)
    config = EngineConfig(allowed_lateness=timedelta(0))
    per_event, deferred = Engine(MD, config=config), Engine(MD, config=config)

    want: list[Effect] = list(per_event.apply(admitted))
    want += per_event.advance(later)
    want += per_event.apply(late_cancel)
    want += per_event.advance(later)
    got: list[Effect] = list(deferred.defer(admitted))
    deferred.hold(later)
    got += deferred.defer(late_cancel)
    got += deferred.settle()

    opened = {e.record.avvik_id for e in want if isinstance(e, AvvikUpsert)}
    assert opened, "the admission alone should have raised an avvik by day 3"
    assert _by_key(deferred, got)[:2] == _by_key(per_event, want)[:2]
