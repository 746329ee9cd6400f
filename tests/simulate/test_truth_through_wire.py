"""Truth through the wire: the canonical timeline and its messages through the formats give equal results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.identity import Pseudonymiser
from hub.masterdata import MasterData, load_masterdata
from hub.settings import HubSettings
from hub.simulate.carried import NOT_CARRIED
from hub.simulate.differential import compare_region, differences
from hub.simulate.simulator import SimOptions

START = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def md() -> MasterData:
    """The shipped master data (with its organisation codes)."""
    return load_masterdata()


@pytest.fixture(scope="module")
def pseudonymiser() -> Pseudonymiser:
    """The connectors' pseudonymiser."""
    return Pseudonymiser.from_settings(HubSettings(env="dev").pseudonym)  # module scope: before clean_environ


@pytest.mark.parametrize("share", [0.0, 0.15, 0.4])
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_region_week_is_the_same_through_the_formats(
    seed: int, share: float, md: MasterData, pseudonymiser: Pseudonymiser
) -> None:
    """Avvik, bed occupancy per unit and hour, waiting list and overliggedøgn/NOK are equal."""
    options = SimOptions(seed=seed, duration=timedelta(days=7), deviation_share=share)
    region, truth, wire = compare_region(options, md, START, pseudonymiser)
    assert region.wire.refused == []
    assert differences(truth, wire) == []
    assert truth.beds, "the region put patients in beds"
    if share > 0:
        assert sum(truth.avvik.values()) > 0


def test_region_month_matches_the_issue_table(md: MasterData, pseudonymiser: Pseudonymiser) -> None:
    """Seed 3, 30 days (the month the join issue measured): SA07, SA03-05 and overliggedøgn agree."""
    options = SimOptions(seed=3, duration=timedelta(days=30), deviation_share=0.15)
    _, truth, wire = compare_region(options, md, START, pseudonymiser)
    assert differences(truth, wire) == []
    codes = {k[0] for k in wire.avvik}
    assert {"SA03", "SA04", "SA05", "SA07", "SA13"} <= codes
    assert sum(wire.overlig.values()) > 0
    assert sum(wire.nok.values()) > 0
    assert wire.waiting


def test_what_no_source_carries_is_named() -> None:
    """The list of facts no source message carries is short and says why for each."""
    assert len(NOT_CARRIED) <= 3
    assert all(len(reason) > 20 for reason in NOT_CARRIED.values())
