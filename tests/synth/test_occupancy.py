"""The demo region's wards run at a realistic occupancy (issue 16: every ward 60-100 % from the start).

Offline: the region with the demo's census start goes through the domain core and a bed ledger, and the
board's figure (patients in the unit / its capacity) is read at several instants of the first days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.events import UnitKind
from hub.masterdata import MasterData, load_masterdata
from hub.synth.generator import SynthConfig
from hub.synth.occupancy import ward_occupancy

START = datetime(2025, 3, 3, 9, tzinfo=UTC)
SAMPLES = tuple(START + timedelta(hours=h) for h in (0, 6, 24, 48, 72, 95))
DEMO_CENSUS_DAYS = 30  # hub.demo.run starts the simulation with census_days=30
DEMO_DEVIATION_SHARE = 0.15  # hub.demo.run's default


@pytest.fixture(scope="module")
def md() -> MasterData:
    """The shipped master data."""
    return load_masterdata()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_demo_ward_runs_between_60_and_100_percent(md: MasterData, seed: int) -> None:
    """Every ward of the demo region (HF-HNT) is 60-100 % full at each sample instant of its first 4 days."""
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=START,
        span_days=4,
        seed=seed,
        census_days=DEMO_CENSUS_DAYS,
        deviation_share=DEMO_DEVIATION_SHARE,
    )
    units = ward_occupancy(md, config, SAMPLES)
    assert {u.unit_id for u in units} == {
        u.unit_id for u in md.units.values() if u.kind is UnitKind.WARD and u.hf_id == "HNT"
    }
    table = {u.unit_id: [f"{s:.0%}" for s in u.shares] for u in units}
    for unit in units:
        assert all(0.6 <= s <= 1.0 for s in unit.shares), table
