"""PathwayState serialisation, engine restart from stored states, pruning and pathway ids."""

from __future__ import annotations

import json
from datetime import timedelta

from hub.domain import (
    AvvikRecord,
    AvvikStatus,
    Engine,
    EngineConfig,
    MemoryStore,
    PathwayChanged,
    PathwayState,
)
from hub.events import EventType, NoticeKind, Place, ServiceKind
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0, collect

H = timedelta(hours=1)
D = timedelta(days=1)


def _pathway(f: EventFactory) -> list:  # type: ignore[type-arg]
    notice = f.notified(T0 + 2 * D + H, "E1", NoticeKind.READY)
    return [
        f.service(T0 - 10 * D, "S1", ServiceKind.HJEMMESYKEPLEIE),
        f.mission(EventType.CALL_RECEIVED, T0 - H, "M1"),
        f.mission(EventType.ON_SCENE, T0 - 40 * timedelta(minutes=1), "M1"),
        f.mission(EventType.ARRIVED, T0 - 5 * timedelta(minutes=1), "M1", destination=Place.HOSPITAL),
        f.admitted(T0, "E1"),
        f.transferred(T0 + D, "E1", "HNT-LEV-KIR"),
        f.episode_event(EventType.DECLARED_READY, T0 + 2 * D, "E1"),
        notice,
        f.replace(T0 + 2 * D + 2 * H, notice),
        f.responded(T0 + 3 * D, "E1", can_receive=False),
    ]


def test_state_round_trips_through_json(md: MasterData, f: EventFactory) -> None:
    """to_dict -> JSON -> from_dict gives back an equal state, facts, avvik and deadlines included."""
    engine = Engine(md)
    for event in _pathway(f):
        engine.apply(event)
        engine.advance(event.occurred_at)
    engine.advance(T0 + 4 * D)
    state = engine.state(f.pseudonym)
    assert state is not None
    assert state.avvik
    assert state.deadlines
    text = json.dumps(state.to_dict())
    assert PathwayState.from_dict(json.loads(text)) == state
    assert len(text) < 8000


def test_restarted_engine_rebuilds_deadlines_from_states(md: MasterData, f: EventFactory) -> None:
    """A new engine fed the stored states fires the same deadlines as the one that kept running."""
    events = _pathway(f)
    first = Engine(md)
    for event in events:
        first.apply(event)
        first.advance(event.occurred_at)
    stored = [PathwayState.from_dict(json.loads(json.dumps(s.to_dict()))) for s in first.store]  # type: ignore[attr-defined]
    store = MemoryStore()
    second = Engine(md, store=store)
    for state in stored:
        store.put(state)
        second.register(state)
    second.advance(events[-1].occurred_at)
    assert second.pending_deadlines == first.pending_deadlines == 1
    a: dict[str, AvvikRecord] = {}
    b: dict[str, AvvikRecord] = {}
    collect(first.advance(T0 + 10 * D), a)
    collect(second.advance(T0 + 10 * D), b)
    assert a == b
    assert {r.code for r in a.values()} >= {"SA05"}


def test_duplicate_event_has_no_effect(md: MasterData, f: EventFactory) -> None:
    """Re-delivering the same event (same event id) produces no effects."""
    engine = Engine(md)
    event = f.admitted(T0, "E1")
    assert engine.apply(event)
    assert engine.apply(event) == []


def test_pathway_spans_ambulance_hospital_and_kad_then_closes(md: MasterData, f: EventFactory) -> None:
    """Ambulance, hospital stay and KAD within the gap share one pathway id, CLOSED 24 h after the last."""
    engine = Engine(md, config=EngineConfig(pathway_gap=timedelta(hours=24)))
    events = [
        f.mission(EventType.CALL_RECEIVED, T0 - H, "M1"),
        f.mission(EventType.ARRIVED, T0 - 10 * timedelta(minutes=1), "M1", destination=Place.HOSPITAL),
        f.admitted(T0, "E1"),
        f.discharged(T0 + 2 * D, "E1", Place.KAD),
        f.kad_admitted(T0 + 2 * D + H, "K1", "K5037-KAD"),
        f.kad_discharged(T0 + 4 * D, "K1", "K5037-KAD", Place.HOME),
    ]
    summaries = []
    for event in events:
        summaries += [e.summary for e in engine.apply(event) if isinstance(e, PathwayChanged)]
    summaries += [e.summary for e in engine.advance(T0 + 6 * D) if isinstance(e, PathwayChanged)]
    ids = {s.pathway_id for s in summaries if s is not None}
    assert len(ids) == 1
    assert summaries[-1] is not None
    assert summaries[-1].status == "CLOSED"
    assert summaries[2] is not None
    assert summaries[2].location == "HOSPITAL"


def test_history_is_pruned_after_retention_without_retracting(md: MasterData, f: EventFactory) -> None:
    """A closed pathway is forgotten after the retention period without retracting its avvik."""
    engine = Engine(md, config=EngineConfig(retention=timedelta(days=35)))
    records: dict[str, AvvikRecord] = {}
    for event in [f.admitted(T0, "E1"), f.discharged(T0 + D, "E1", Place.SYKEHJEM)]:
        collect(engine.apply(event), records)
        collect(engine.advance(event.occurred_at), records)
    for day in range(2, 60):  # a clock that keeps ticking, day by day
        collect(engine.advance(T0 + day * D), records)
    assert {r.code for r in records.values()} == {"SA06", "SA07", "SA08"}
    assert all(r.status is not AvvikStatus.RETRACTED for r in records.values())
    assert engine.state(f.pseudonym) is None
    assert engine.pending_deadlines == 0


def test_readmission_avvik_survives_pruning_of_the_earlier_pathway(md: MasterData, f: EventFactory) -> None:
    """SA09 is not retracted when the earlier stay it points to is pruned while the new stay is open."""
    engine = Engine(md)
    records: dict[str, AvvikRecord] = {}
    events = [
        f.admitted(T0, "E1"),
        f.notified(T0 + H, "E1", NoticeKind.ADMISSION),
        f.discharged(T0 + D, "E1"),
        f.report(EventType.EPIKRISE_SENT, T0 + D, "E1"),
        f.admitted(T0 + 20 * D, "E2"),
        f.notified(T0 + 20 * D + H, "E2", NoticeKind.ADMISSION),
    ]
    for event in events:
        collect(engine.apply(event), records)
        collect(engine.advance(event.occurred_at), records)
    collect(engine.advance(T0 + 80 * D), records)
    [sa09] = [r for r in records.values() if r.code == "SA09"]
    assert sa09.status is AvvikStatus.OPEN
    state = engine.state(f.pseudonym)
    assert state is not None
    assert all(fact.ep != "E1" for fact in state.facts.values())
