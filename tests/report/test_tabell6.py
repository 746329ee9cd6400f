"""Tabell 6 (liggedøgn and stays of the frail-elderly cohort per HF) and the Finnmark one-year check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.events import EventType, NoticeKind, Place, ServiceKind
from hub.identity import Pseudonymiser
from hub.masterdata import MasterData, load_masterdata
from hub.report.tabell6 import TABELL6_2022, TOTAL, Cohort, build_tabell6, deviation, render_tabell6
from hub.settings import HubSettings
from hub.simulate.differential import render_region
from hub.simulate.simulator import SimOptions
from hub.synth.build import EventFactory, utc

D = timedelta(days=1)


@pytest.fixture(scope="module")
def md() -> MasterData:
    """The shipped master data."""
    return load_masterdata()


def test_counts_discharged_stays_of_the_cohort_with_midnights_as_liggedogn(md: MasterData) -> None:
    """A ≥ 75 patient with home nursing counts; a younger one, one without services and a cancel do not."""
    old = EventFactory("patient-old", birth_year=1940)
    young = EventFactory("patient-young", birth_year=1970)
    alone = EventFactory("patient-alone", birth_year=1935)
    t = utc(2024, 3, 1, 10)
    events = [
        old.service(t - 5 * D, "S1", ServiceKind.HJEMMESYKEPLEIE),
        old.admitted(t, "E1"),
        old.notified(t + D, "E1", NoticeKind.ADMISSION),
        old.discharged(t + 4 * D, "E1", Place.HOME_NURSING),  # 4 midnights
        old.admitted(t + 20 * D, "E2"),
        old.discharged(t + 20 * D + timedelta(hours=5), "E2"),  # same day: 0 liggedøgn, still a stay
        young.service(t - 5 * D, "S2", ServiceKind.HJEMMESYKEPLEIE),
        young.admitted(t, "E3"),
        young.discharged(t + 3 * D, "E3"),
        alone.admitted(t, "E4"),
        alone.discharged(t + 2 * D, "E4"),
    ]
    cancelled = EventFactory("patient-cancel", birth_year=1930)
    events += [
        cancelled.service(t - 5 * D, "S3", ServiceKind.SYKEHJEM_LANGTID),
        cancelled.admitted(t, "E5"),
        cancelled.episode_event(EventType.ADMISSION_CANCELLED, t + timedelta(minutes=10), "E5"),
        cancelled.discharged(t + 2 * D, "E5"),
    ]
    table = build_tabell6(events, md, start=date(2024, 1, 1), end=date(2025, 1, 1))
    assert [(r.hf, r.patients, r.liggedogn, r.stays) for r in table.rows] == [("HNT", 1, 4, 2)]
    assert table.total.liggedogn_per_stay == 2.0
    wider = build_tabell6(
        events, md, start=date(2024, 1, 1), end=date(2025, 1, 1), cohort=Cohort(with_services=False)
    )
    assert (wider.total.patients, wider.total.stays) == (2, 3)
    outside = build_tabell6(events, md, start=date(2024, 3, 10), end=date(2025, 1, 1))
    assert outside.total.stays == 1, "only the stay discharged in the period counts"
    text = render_tabell6(table, md)
    assert "Helse Nord-Trøndelag HF" in text
    assert "| Sum |" in text


@pytest.mark.slow
def test_finnmark_year_through_the_wire_reproduces_tabell6_within_10_percent(md: MasterData) -> None:
    """One calibrated year of Finnmark, rendered to messages and mapped back by the connectors' formats,
    gives Finnmark's 2022 row of «Tid for samordning» Tabell 6 within ±10 % (patients, liggedøgn, stays)."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    options = SimOptions(
        helsefellesskap="HF-FINNMARK", seed=1, duration=timedelta(days=365), deviation_share=0.15
    )
    pseudonymiser = Pseudonymiser.from_settings(HubSettings().pseudonym)
    region = render_region(options, md, start, pseudonymiser)
    assert region.wire.refused == []
    table = build_tabell6(region.wire.events, md, start=date(2024, 1, 1), end=date(2025, 1, 1))
    found = table.row("FINNMARK")
    assert found is not None
    off = deviation(found, TABELL6_2022["FINNMARK"])
    assert all(abs(v) <= 0.10 for v in off.values()), (found, off)
    truth = build_tabell6(region.truth, md, start=date(2024, 1, 1), end=date(2025, 1, 1))
    assert truth.row(TOTAL) == table.row(TOTAL), "the wire loses or adds no cohort stay"
