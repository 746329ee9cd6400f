"""Bed segments, deltas and the per-unit ledger."""

from __future__ import annotations

from datetime import date, timedelta

from hub.domain import BedDelta, BedLedger, Engine, Movement
from hub.domain.timeutil import to_epoch
from hub.events import EventType, Place
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0

H = timedelta(hours=1)
D = timedelta(days=1)


def _deltas(engine: Engine, events: list) -> list[BedDelta]:  # type: ignore[type-arg]
    out: list[BedDelta] = []
    for event in events:
        out += [e for e in engine.apply(event) if isinstance(e, BedDelta)]
    return out


def test_transfer_moves_the_patient_between_units(md: MasterData, f: EventFactory) -> None:
    """Admission, transfer and discharge give +1/-1 per unit and a LOS per unit stay."""
    ledger = BedLedger()
    ledger.apply_all(
        _deltas(
            Engine(md),
            [
                f.admitted(T0, "E1"),
                f.transferred(T0 + D, "E1", "HNT-LEV-KIR"),
                f.discharged(T0 + 3 * D, "E1"),
            ],
        )
    )
    assert ledger.occupied("HNT-LEV-MED") == ledger.occupied("HNT-LEV-KIR") == 0
    assert ledger.census("HNT-LEV-KIR", T0 + 2 * D) == 1
    assert ledger.bed_days("HNT-LEV-MED", T0 - D, T0 + 5 * D) == 1.0
    assert ledger.bed_days("HNT-LEV-KIR", T0 - D, T0 + 5 * D) == 2.0
    assert ledger.admissions("HNT-LEV-MED", date(2024, 3, 4)) == 1
    assert ledger.discharges("HNT-LEV-KIR", date(2024, 3, 7)) == 1
    assert ledger.mean_los_days("HNT-LEV-KIR") == 2.0


def test_cancelled_admission_leaves_no_trace(md: MasterData, f: EventFactory) -> None:
    """An A11 publishes reversal deltas, so the ledger is back to zero."""
    deltas = _deltas(
        Engine(md), [f.admitted(T0, "E1"), f.episode_event(EventType.ADMISSION_CANCELLED, T0 + H, "E1")]
    )
    ledger = BedLedger()
    ledger.apply_all(deltas)
    assert [d.reversal for d in deltas] == [False, True]
    assert ledger.occupied("HNT-LEV-MED") == 0
    assert ledger.admissions("HNT-LEV-MED", date(2024, 3, 4)) == 0
    assert ledger.bed_days("HNT-LEV-MED", T0, T0 + D) == 0.0


def test_ledger_is_order_independent_and_computes_belegg(md: MasterData, f: EventFactory) -> None:
    """Folding deltas in any order gives the same figures; belegg uses the capacity."""
    g = EventFactory("pseudo-patient-0002")
    deltas = _deltas(
        Engine(md),
        [
            f.kad_admitted(T0, "K1", "K5037-KAD"),
            g.kad_admitted(T0 + 12 * H, "K2", "K5037-KAD"),
            f.kad_discharged(T0 + D, "K1", "K5037-KAD", Place.HOME),
        ],
    )
    forward, backward = BedLedger(), BedLedger()
    forward.apply_all(deltas)
    backward.apply_all(reversed(deltas))
    for ledger in (forward, backward):
        ledger.set_capacity("K5037-KAD", 6, date(2024, 1, 1))
        assert ledger.occupied("K5037-KAD") == 1
        assert ledger.bed_days("K5037-KAD", T0, T0 + D) == 1.5
        assert ledger.belegg("K5037-KAD", to_epoch(T0), to_epoch(T0 + D)) == 0.25
    assert forward.units() == ["K5037-KAD"]
    assert {d.movement for d in deltas} == {Movement.ADMISSION, Movement.DISCHARGE}
