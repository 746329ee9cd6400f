"""A clock that jumps far past old events (a live worker meeting history) still raises their avvik."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.domain import AvvikUpsert, Engine
from hub.events import EventType
from hub.masterdata import load_masterdata
from tests.agents.scenario import T0, ev


def test_jump_beyond_retention_raises_before_pruning() -> None:
    """Advancing years past a KAD bounce and a slow mission raises SA11 and SA12 before history is pruned."""
    engine = Engine(load_masterdata())
    kad = "K5037-KAD"
    events = [
        ev(
            EventType.KAD_ADMITTED,
            "C",
            T0,
            {"stay_id": "K1", "bed_kind": "KAD_SOMATISK"},
            unit=kad,
            unit_kind="KAD_SOMATISK",
            hf=None,
            msg="j1",
        ),
        ev(
            EventType.KAD_DISCHARGED,
            "C",
            T0 + timedelta(hours=5),
            {"stay_id": "K1", "destination": "HOSPITAL"},
            unit=kad,
            unit_kind="KAD_SOMATISK",
            hf=None,
            msg="j2",
        ),
        ev(
            EventType.CALL_RECEIVED,
            "D",
            T0,
            {"mission_id": "M1", "hastegrad": "AKUTT", "area": "TETTSTED"},
            unit="AMK",
            unit_kind="AMK",
            msg="j3",
        ),
    ]
    effects = engine.apply_all(events)
    effects += engine.advance(datetime(2026, 1, 1, tzinfo=UTC))
    raised = {e.record.code for e in effects if isinstance(e, AvvikUpsert)}
    assert raised == {"SA11", "SA12"}
