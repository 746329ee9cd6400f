"""The calibrated synthetic region: rates from master data, determinism, and the census start."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.events import Event, EventType
from hub.masterdata import MasterData, load_masterdata
from hub.synth.generator import SynthConfig
from hub.synth.region import generate_region, region_rates

START = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def md() -> MasterData:
    """The shipped master data."""
    return load_masterdata()


def _episodes(events: list[Event]) -> dict[str, tuple[datetime | None, datetime | None]]:
    spans: dict[str, tuple[datetime | None, datetime | None]] = {}
    for e in events:
        episode = getattr(e.body, "episode_id", None)
        if episode is None:
            continue
        admitted, discharged = spans.get(episode, (None, None))
        if e.event_type is EventType.ADMITTED and admitted is None:
            admitted = e.occurred_at
        if e.event_type is EventType.DISCHARGED:
            discharged = e.occurred_at
        spans[episode] = (admitted, discharged)
    return spans


def _in_bed(events: list[Event], at: datetime) -> int:
    return sum(
        1 for a, d in _episodes(events).values() if a is not None and a <= at and (d is None or d > at)
    )


def test_rates_resolve_from_population_and_name_their_assumptions(md: MasterData) -> None:
    """Finnmark's frail-cohort rates are its own (derived), HNT's fall back and are named assumptions."""
    finnmark = region_rates(md, "HF-FINNMARK", date(2024, 6, 1))
    hnt = region_rates(md, "HF-HNT", date(2024, 6, 1))
    assert finnmark is not None
    assert hnt is not None
    assert finnmark.population == 76_149
    assert round(finnmark.per_year("frail_patients_per_1000")) == 863
    assert "frail_stays_per_patient" not in finnmark.assumptions
    assert "frail_stays_per_patient" in hnt.assumptions
    assert "other_stays_per_1000" in finnmark.assumptions


def test_without_population_there_is_no_region(tmp_path: Path) -> None:
    """A kommune without population gives no rates, and generating the region is a config error."""
    (tmp_path / "kommuner.csv").write_text(
        "kommunenummer,name,helsefellesskap_id,valid_from,valid_to,population,population_year\n"
        "5037,Levanger,HF-HNT,2018-01-01,,,\n",
        encoding="utf-8",
    )
    md = load_masterdata(tmp_path)
    assert region_rates(md, "HF-HNT", date(2024, 6, 1)) is None
    with pytest.raises(ConfigError):
        generate_region(md, SynthConfig(start=START, span_days=2))


def test_same_seed_same_events_and_a_week_is_part_of_the_month(md: MasterData) -> None:
    """Events are in order and unique; a patient's plan does not depend on the span asked for."""
    week = list(generate_region(md, SynthConfig(start=START, span_days=7, seed=4)))
    again = list(generate_region(md, SynthConfig(start=START, span_days=7, seed=4)))
    month = list(generate_region(md, SynthConfig(start=START, span_days=30, seed=4)))
    assert [e.event_id for e in week] == [e.event_id for e in again]
    keys = [(e.occurred_at, e.event_id) for e in month]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert {e.event_id for e in week} <= {e.event_id for e in month}
    kinds = {e.event_type for e in week}
    assert {
        EventType.ADMITTED,
        EventType.DECLARED_READY,
        EventType.KAD_ADMITTED,
        EventType.CALL_RECEIVED,
    } <= kinds


def test_census_starts_with_full_wards_and_only_open_stays_before_the_start(md: MasterData) -> None:
    """With a census the first instant already holds about the steady-state number of patients in beds,
    and every event before the start belongs to a stay still open at the start."""
    census = list(generate_region(md, SynthConfig(start=START, span_days=2, seed=2, census_days=30)))
    empty = list(generate_region(md, SynthConfig(start=START, span_days=2, seed=2)))
    steady = list(
        generate_region(md, SynthConfig(start=datetime(2024, 4, 1, tzinfo=UTC), span_days=32, seed=2))
    )
    assert _in_bed(empty, START) == 0
    at_start = _in_bed(census, START)
    reference = _in_bed(steady, START)
    assert reference > 30
    assert 0.8 * reference <= at_start <= 1.2 * reference
    before = {getattr(e.body, "episode_id", None) for e in census if e.occurred_at < START}
    spans = _episodes(census)
    for episode in before - {None}:
        _admitted, discharged = spans[episode]
        assert discharged is None or discharged >= START, episode
    assert any(e.event_type is EventType.DECLARED_READY and e.occurred_at < START for e in census)


def test_simulator_options_choose_the_region_and_its_census(md: MasterData) -> None:
    """SimOptions without events_per_day use the calibrated region; census_days sends the census first."""
    from datetime import timedelta

    from hub.simulate.simulator import SimOptions, messages, timeline

    plain = list(timeline(SimOptions(duration=timedelta(days=1), seed=5), md, START))
    census = list(timeline(SimOptions(duration=timedelta(days=1), seed=5, census_days=30), md, START))
    assert min(e.occurred_at for e in plain) >= START
    assert min(e.occurred_at for e in census) < START
    _, outgoing = messages(SimOptions(duration=timedelta(days=1), seed=5, census_days=30), md, START)
    first = next(iter(outgoing))
    assert first.at < START, "the census goes out first"
    with pytest.raises(ConfigError):
        SimOptions(census_days=-1)


def test_module_entry_point_writes_the_region(tmp_path: Path) -> None:
    """``python -m hub.synth --region`` writes the calibrated region's events as JSON lines."""
    from hub.synth.__main__ import main

    out = tmp_path / "region.jsonl"
    assert main(["--region", "--helsefellesskap", "HF-FINNMARK", "--span-days", "3", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50
    assert Event.model_validate_json(lines[0]).patient is not None
