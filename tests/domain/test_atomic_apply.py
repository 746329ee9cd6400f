"""A failure inside the core leaves the patient's state as it was (issue #15, the review's finding 2).

The worker dead-letters an event whose core raised and goes on with the partition; the batch replay does the
same inside a batch of many records and writes each changed state once, at the end of the batch. If the
failed ``apply`` had left its fact (or half its bookkeeping) in the cached state, that flush would store a
state that never went through the rules, and the same event sent again would be dropped as a duplicate.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from typing import Any

import pytest

from hub.domain import Engine, EngineConfig, JudgementFailed, PathwayState
from hub.domain.rules import RULES
from hub.domain.rules.base import RuleContext, Sink
from hub.events import AmbulanceHastegrad, Area, EventType, Place
from hub.masterdata import load_masterdata
from hub.synth.build import EventFactory

from .helpers import T0

MD = load_masterdata()


class Poison(RuntimeError):
    """The failure the broken rule raises."""


@pytest.fixture
def broken_rule(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """SA08 raises while the flag is set (a bug in one rule, met by one event)."""
    armed = [False]
    original = RULES["SA08"]

    def rule(ctx: RuleContext, sink: Sink) -> None:
        if armed[0]:
            raise Poison("rule bug")
        original(ctx, sink)

    monkeypatch.setitem(RULES, "SA08", rule)
    return armed


def _dump(engine: Engine, pseudonym: str) -> dict[str, Any]:
    state = engine.state(pseudonym)
    assert state is not None
    return state.to_dict()


def _engine() -> Engine:
    return Engine(MD, config=EngineConfig(allowed_lateness=timedelta(0), eager=False))


def test_a_failed_apply_leaves_the_state_unchanged_and_the_event_can_be_applied_again(
    broken_rule: list[bool],
) -> None:
    f = EventFactory("pseudo-atomic-0001")
    admitted = f.admitted(T0, "E1")
    ready = f.episode_event(EventType.DECLARED_READY, T0 + timedelta(days=2), "E1")
    discharged = f.discharged(T0 + timedelta(days=4), "E1", Place.SYKEHJEM)
    engine = _engine()
    engine.advance(T0 + timedelta(days=10))  # every event below is visible at once, so apply evaluates
    engine.apply(admitted)
    engine.apply(ready)
    state = engine.state(f.pseudonym)
    assert state is not None
    before = state.to_dict()
    deadlines_before = engine.pending_deadlines

    broken_rule[0] = True
    with pytest.raises(Poison):
        engine.apply(discharged)
    after = engine.state(f.pseudonym)
    assert after is not None
    assert after.to_dict() == before  # the same object the store caches, so also what a flush would write
    assert engine.pending_deadlines == deadlines_before

    broken_rule[0] = False
    effects = engine.apply(discharged)  # not a duplicate: the failed attempt left nothing behind
    assert effects
    reference = _engine()
    reference.advance(T0 + timedelta(days=10))
    for event in (admitted, ready, discharged):
        reference.apply(event)
    fixed, expected = engine.state(f.pseudonym), reference.state(f.pseudonym)
    assert fixed is not None
    assert expected is not None
    assert fixed.to_dict() == expected.to_dict()


def test_a_failed_first_event_leaves_no_state(broken_rule: list[bool]) -> None:
    f = EventFactory("pseudo-atomic-0002")
    engine = _engine()
    engine.advance(T0 + timedelta(days=10))
    broken_rule[0] = True
    with pytest.raises(Poison):
        engine.apply(f.admitted(T0, "E1"))
    assert engine.state(f.pseudonym) is None
    assert engine.pending_deadlines == 0


def _discharged_pair(engine: Engine, number: int) -> tuple[str, str]:
    """Two patients, each discharged a day after admission, judged up to just before the discharges show."""
    names = []
    for n in (number, number + 1):
        f = EventFactory(f"pseudo-atomic-{n:04d}")
        engine.apply(f.admitted(T0, "E1"))
        engine.apply(f.discharged(T0 + timedelta(days=1), "E1", Place.HOME))
        names.append(f.pseudonym)
    engine.advance(T0 + timedelta(days=1, minutes=1))  # the discharges are not visible yet
    return names[0], names[1]


def test_a_failed_judgement_at_a_deadline_is_reported_and_leaves_the_state_as_it_was(
    broken_rule: list[bool],
) -> None:
    """Most judgements happen at a deadline (an event becomes visible after the lateness), not in apply:
    there a failure is one patient's, reported as :class:`JudgementFailed`; the other patients go on."""
    config = EngineConfig(allowed_lateness=timedelta(minutes=15), eager=False)
    engine, reference = Engine(MD, config=config), Engine(MD, config=config)
    patients = _discharged_pair(engine, 3)
    _discharged_pair(reference, 3)
    healthy = EventFactory("pseudo-atomic-0009", hf=None, unit_id=None)  # an ambulance mission: no SA08
    call = healthy.mission(
        EventType.CALL_RECEIVED, T0, "M1", hastegrad=AmbulanceHastegrad.AKUTT, area=Area.RURAL
    )
    engine.apply(call)
    reference.apply(call)
    before = {p: _dump(engine, p) for p in patients}
    assert all(not isinstance(e, JudgementFailed) for e in reference.advance(T0 + timedelta(days=30)))

    broken_rule[0] = True  # the rules are shared: the reference was judged before
    effects = engine.advance(T0 + timedelta(days=30))
    failed = [e for e in effects if isinstance(e, JudgementFailed)]
    assert sorted(e.pseudonym for e in failed) == sorted(patients)
    assert [e.error for e in failed] == ["Poison: rule bug"] * 2
    assert {p: _dump(engine, p) for p in patients} == before
    # the healthy patient was judged as if nothing had failed
    assert _dump(engine, healthy.pseudonym) == _dump(reference, healthy.pseudonym)
    assert [e for e in effects if not isinstance(e, JudgementFailed)] != []
    assert isinstance(failed[0].exc, Poison)  # the traceback travels with the report
    # the failed wake-ups are dropped: no report again at the next advance, the healthy patient's wake stays
    healthy_state = reference.state(healthy.pseudonym)
    assert healthy_state is not None
    assert engine.pending_deadlines == (0 if healthy_state.next_wake() is None else 1)
    assert [e for e in engine.advance(T0 + timedelta(days=31)) if isinstance(e, JudgementFailed)] == []

    # a failed apply of that patient restores the scheduler as it was (no wake), not the failed deadline
    with pytest.raises(Poison):
        engine.apply(EventFactory(patients[1]).report(EventType.EPIKRISE_SENT, T0 + timedelta(days=3), "E1"))
    assert [e for e in engine.advance(T0 + timedelta(days=32)) if isinstance(e, JudgementFailed)] == []

    broken_rule[0] = False  # the bug fixed: the patient's next event judges it anew, as if nothing failed
    reference.advance(T0 + timedelta(days=32))
    late = EventFactory(patients[0]).report(EventType.EPIKRISE_SENT, T0 + timedelta(days=5), "E1")
    assert engine.apply(late) == reference.apply(late)
    assert _dump(engine, patients[0]) == _dump(reference, patients[0])


def test_a_failure_at_the_end_of_a_step_rolls_back_every_part_of_the_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failure after the rules changed the avvik, the bed segments, the tombstones and the deadlines (in
    the pruning, the step's last part before the save) leaves none of it behind."""
    f = EventFactory("pseudo-atomic-0020")
    admitted = f.admitted(T0, "E1")
    engine = _engine()
    engine.advance(T0 + timedelta(days=20))
    engine.apply(admitted)
    engine.apply(f.episode_event(EventType.DECLARED_READY, T0 + timedelta(days=2), "E1"))
    before, wake = _dump(engine, f.pseudonym), engine.next_deadline()
    assert before["a"], "the stay should have open avvik by now"
    assert before["s"], "and a bed segment"

    def broken_prune(*_: object) -> None:
        raise Poison("prune bug")

    monkeypatch.setattr(engine, "_prune_plan", broken_prune)
    for event in (
        f.discharged(T0 + timedelta(days=4), "E1", Place.SYKEHJEM),  # avvik, segments and deadlines change
        f.cancel(T0 + timedelta(days=5), admitted),  # tombstones and facts change
    ):
        with pytest.raises(Poison):
            engine.apply(event)
        assert _dump(engine, f.pseudonym) == before
        assert engine.next_deadline() == wake


def test_a_checkpoint_copies_every_field_and_shares_no_container() -> None:
    f = EventFactory("pseudo-atomic-0030")
    engine = _engine()
    engine.advance(T0 + timedelta(days=20))
    engine.apply(a := f.admitted(T0, "E1"))
    engine.apply(f.cancel(T0 + timedelta(days=1), f.episode_event(EventType.DECLARED_READY, T0, "E1")))
    engine.apply(f.discharged(T0 + timedelta(days=2), "E1", Place.SYKEHJEM))
    state = engine.state(f.pseudonym)
    assert state is not None
    assert a.event_id in state.facts
    copy = state.checkpoint()
    for spec in fields(PathwayState):
        value = getattr(state, spec.name)
        assert getattr(copy, spec.name) == value, spec.name
        assert value != spec.default, f"give {spec.name} a value in this test"  # a field added later too
        if isinstance(value, dict):
            assert getattr(copy, spec.name) is not value, spec.name
