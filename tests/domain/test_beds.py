"""Bed segments, deltas and the per-unit ledger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

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


def test_census_and_occupancy_equal_the_sums_of_the_changes_at_every_instant() -> None:
    """The ledger's running total and its choice of the shorter side give exactly the plain prefix sums,
    before and after old changes are compacted into the base."""
    import random

    rng = random.Random(7)
    ledger = BedLedger()
    changes: list[tuple[int, int]] = []
    for i in range(600):
        at = rng.randrange(0, 400 * 86_400)
        delta = rng.choice((1, 1, -1))
        changes.append((at, delta))
        ledger.apply(BedDelta("U", None, None, None, at, delta, Movement.TRANSFER_IN, f"s{i}", at))
    probes = sorted({rng.randrange(-86_400, 401 * 86_400) for _ in range(300)} | {at for at, _ in changes})

    def plain(t: int, since: int = -(1 << 62)) -> int:
        return sum(d for at, d in changes if at <= t or at < since)

    assert ledger.occupied("U") == sum(d for _, d in changes)
    assert [ledger.census("U", t) for t in probes] == [plain(t) for t in probes]
    day = 86_400
    assert ledger.bed_days("U", 100 * day, 101 * day) == pytest.approx(
        sum(plain(t) for t in range(100 * day, 101 * day, 60)) * 60 / day, rel=0.02
    )
    cut = 200 * day
    ledger.compact(cut)
    assert ledger.occupied("U") == sum(d for _, d in changes)
    later = [t for t in probes if t >= cut]
    assert [ledger.census("U", t) for t in later] == [plain(t, since=cut) for t in later]
