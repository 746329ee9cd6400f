"""Every input in any order leaves a valid, serialisable state (h2-style state machine property)."""

from __future__ import annotations

import json
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import Engine, PathwayState
from hub.events import AmbulanceHastegrad, Area, Event, EventType, NoticeKind, Place, ServiceKind, UnitKind
from hub.masterdata import load_masterdata
from hub.synth.build import EventFactory, utc

MD = load_masterdata()
T0 = utc(2024, 3, 4, 8)
EPISODES = ("E1", "E2")


def _make(f: EventFactory, kind: int, episode: str, at_minutes: int, history: list[Event]) -> Event:  # noqa: PLR0911, PLR0912 - one per input kind
    at = T0 + timedelta(minutes=at_minutes)
    match kind:
        case 0:
            return f.admitted(at, episode)
        case 1:
            return f.transferred(at, episode, "HNT-LEV-KIR")
        case 2:
            return f.discharged(at, episode, Place.SYKEHJEM)
        case 3:
            return f.episode_event(EventType.ADMISSION_CANCELLED, at, episode)
        case 4:
            return f.episode_event(EventType.DISCHARGE_CANCELLED, at, episode)
        case 5:
            return f.episode_event(EventType.DECLARED_READY, at, episode)
        case 6:
            return f.episode_event(EventType.READY_WITHDRAWN, at, episode)
        case 7:
            return f.notified(at, episode, NoticeKind.READY)
        case 8:
            return f.responded(at, episode, can_receive=at_minutes % 2 == 0)
        case 9:
            return f.report(EventType.EPIKRISE_SENT, at, episode)
        case 10:
            return f.died(at, episode)
        case 11:
            return f.kad_admitted(at, episode, "K5037-KAD", UnitKind.KAD_SOMATISK)
        case 12:
            return f.kad_discharged(at, episode, "K5037-KAD", Place.HOSPITAL)
        case 13:
            return f.service(at, episode, ServiceKind.HJEMMESYKEPLEIE, started=at_minutes % 3 != 0)
        case 14:
            return f.mission(
                EventType.CALL_RECEIVED, at, episode, hastegrad=AmbulanceHastegrad.AKUTT, area=Area.RURAL
            )
        case 15:
            return f.mission(EventType.ON_SCENE, at, episode)
        case 16 if history:
            return f.cancel(at, history[at_minutes % len(history)])
        case 17 if history:
            return f.replace(at, history[at_minutes % len(history)])
        case 18 if history:
            return f.rejected(at, history[at_minutes % len(history)], "EPIKRISE")
        case _:
            return f.manual(at, "annet")


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 19), st.sampled_from(EPISODES), st.integers(0, 60 * 24 * 20), st.booleans()),
        max_size=30,
    )
)
def test_any_sequence_leaves_a_valid_state(steps: list[tuple[int, str, int, bool]]) -> None:
    """Any sequence of inputs (corrections included, any order) applies without error and round-trips."""
    engine = Engine(MD)
    f = EventFactory("pseudo-robust-0001")
    history: list[Event] = []
    for kind, episode, minutes, tick in steps:
        event = _make(f, kind, episode, minutes, history)
        history.append(event)
        engine.apply(event)
        if tick:
            engine.advance(event.occurred_at)
    engine.advance(T0 + timedelta(days=60))
    state = engine.state(f.pseudonym)
    if state is not None:
        assert PathwayState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
        assert all(d.fire_at > 0 for d in state.deadlines)
    assert engine.pending_deadlines <= 1
