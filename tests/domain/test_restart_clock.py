"""A restarted engine re-reading events from behind its restored state never judges a patient at an earlier
instant than the state already was (no avvik retracted or opened that an uninterrupted run never had)."""

from __future__ import annotations

from datetime import timedelta

from hub.domain import AvvikStatus, AvvikUpsert, Engine, EngineConfig
from hub.domain.store import MemoryStore
from hub.events import EventType
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0

H = timedelta(hours=1)


def test_restart_behind_the_restored_state_does_not_retract(md: MasterData) -> None:
    """After a crash the new engine's clock starts at the committed offset, far behind the table: a new event
    of the patient must not judge it at that earlier instant (SA01, already overdue, stays OPEN)."""
    p = EventFactory("pseudo-restart-0001", birth_year=1938)
    q = EventFactory("pseudo-restart-0002", birth_year=1990)
    admitted = p.admitted(T0, "E1")
    other = q.admitted(T0 + 30 * H, "E9")  # another patient on the partition moves the clock on
    store = MemoryStore()
    first = Engine(md, config=EngineConfig(), store=store)
    for event in (admitted, other):
        first.apply(event)
        first.advance(event.occurred_at)
    [sa01] = [r for r in store.get(p.pseudonym).avvik.values() if r.code == "SA01"]  # type: ignore[union-attr]
    assert sa01.status is AvvikStatus.OPEN
    # the crash: a fresh engine on the restored table, delivery again from the admission's offset
    second = Engine(md, config=EngineConfig(), store=store)
    for state in store:
        second.register(state)
    report = p.report(EventType.INNLEGGELSESRAPPORT_SENT, T0 + 2 * H, "E1")
    effects = [*second.apply(admitted), *second.advance(admitted.occurred_at)]
    effects += [*second.apply(report), *second.advance(report.occurred_at)]
    effects += second.advance(report.occurred_at + H)  # the report becomes visible: the patient is judged
    changed = {(e.record.code, e.record.status) for e in effects if isinstance(e, AvvikUpsert)}
    assert ("SA01", AvvikStatus.RETRACTED) not in changed
    [after] = [r for r in store.get(p.pseudonym).avvik.values() if r.code == "SA01"]  # type: ignore[union-attr]
    assert after.status is AvvikStatus.OPEN
