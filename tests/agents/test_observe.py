"""The pipeline observer: domain gauges from avvik records, pathway states and events (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from agents.observe import PipelineObserver
from hub.events import EventType
from hub.events.outputs import AvvikRecord, AvvikStatus, PathwayStateRecord, Severity
from hub.masterdata import load_masterdata
from hub.observability.metrics import HubMetrics
from tests.agents.scenario import T0, ev

HFS = "HF-HNT"


@pytest.fixture
def registry() -> CollectorRegistry:
    """A fresh registry per test."""
    return CollectorRegistry()


@pytest.fixture
def observer(registry: CollectorRegistry) -> PipelineObserver:
    """An observer on the shipped master data and a fresh metrics container."""
    return PipelineObserver(HubMetrics(registry), load_masterdata())


def avvik(avvik_id: str, code: str, status: AvvikStatus, **kw: Any) -> AvvikRecord:
    """An avvik record of Helse Nord-Trøndelag, kommune 5037 unless overridden."""
    fields: dict[str, Any] = {
        "avvik_id": avvik_id,
        "code": code,
        "severity": Severity.MEDIUM,
        "status": status,
        "hf": "HNT",
        "kommune": "5037",
        "helsefellesskap": HFS,
        "detected_at": T0,
        "text_no": "x",
        "text_en": "x",
    }
    fields.update(kw)
    return AvvikRecord(**fields)


def state(pseudonym: str, phase: str, kommune: str = "5037") -> PathwayStateRecord:
    """A pathway-state record in ``phase``."""
    return PathwayStateRecord(
        pseudonym=pseudonym, status="ACTIVE", phase=phase, oppholdskommune=kommune, updated_at=T0
    )


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    """One sample value."""
    return registry.get_sample_value(name, labels)


def test_open_gauge_follows_the_latest_status(
    observer: PipelineObserver, registry: CollectorRegistry
) -> None:
    """Open avvik are counted per code and helsefellesskap; resolving or retracting takes them out."""
    observer.on_avvik(avvik("a1", "SA01", AvvikStatus.OPEN))
    observer.on_avvik(avvik("a2", "SA01", AvvikStatus.OPEN))
    observer.on_avvik(avvik("a2", "SA01", AvvikStatus.OPEN))  # redelivery
    observer.on_avvik(avvik("a3", "SA03", AvvikStatus.OPEN))
    assert value(registry, "hub_avvik_open", code="SA01", helsefellesskap=HFS) == 2
    observer.on_avvik(avvik("a1", "SA01", AvvikStatus.RESOLVED, delay_seconds=60))
    observer.on_avvik(avvik("a3", "SA03", AvvikStatus.RETRACTED))
    assert value(registry, "hub_avvik_open", code="SA01", helsefellesskap=HFS) == 1
    assert value(registry, "hub_avvik_open", code="SA03", helsefellesskap=HFS) == 0


def test_unknown_helsefellesskap_becomes_unknown(
    observer: PipelineObserver, registry: CollectorRegistry
) -> None:
    """A helsefellesskap id outside master data is labelled ``unknown``, never passed through."""
    observer.on_avvik(avvik("a1", "SA13", AvvikStatus.OPEN, helsefellesskap="HF-NOWHERE"))
    observer.on_avvik(avvik("a2", "SA13", AvvikStatus.OPEN, helsefellesskap=None))
    assert value(registry, "hub_avvik_open", code="SA13", helsefellesskap="unknown") == 2
    assert value(registry, "hub_avvik_open", code="SA13", helsefellesskap="HF-NOWHERE") is None


def test_overliggedogn_sum_latest_sa05_per_kommune(
    observer: PipelineObserver, registry: CollectorRegistry
) -> None:
    """Overliggedøgn and NOK are sums over the latest non-retracted SA05 record of each avvik id."""
    observer.on_avvik(avvik("o1", "SA05", AvvikStatus.OPEN, overliggedogn=1, betalingsplikt_nok=5745.0))
    observer.on_avvik(avvik("o1", "SA05", AvvikStatus.OPEN, overliggedogn=2, betalingsplikt_nok=11490.0))
    observer.on_avvik(avvik("o2", "SA05", AvvikStatus.RESOLVED, overliggedogn=3, betalingsplikt_nok=17235.0))
    observer.on_avvik(avvik("o3", "SA05", AvvikStatus.OPEN, overliggedogn=4, betalingsplikt_nok=1.0))
    observer.on_avvik(avvik("o3", "SA05", AvvikStatus.RETRACTED, overliggedogn=4, betalingsplikt_nok=1.0))
    assert value(registry, "hub_overliggedogn", oppholdskommune="5037") == 5
    assert value(registry, "hub_betalingsplikt_nok", oppholdskommune="5037") == 28725.0


def test_overliggedogn_restarts_in_a_new_year(
    observer: PipelineObserver, registry: CollectorRegistry
) -> None:
    """An SA05 record of a later year zeroes the sums of the earlier year; older years are ignored."""
    observer.on_avvik(avvik("o1", "SA05", AvvikStatus.OPEN, overliggedogn=2, betalingsplikt_nok=10.0))
    next_year = datetime(2025, 1, 3, tzinfo=UTC)
    observer.on_avvik(
        avvik("o2", "SA05", AvvikStatus.OPEN, kommune="5038", detected_at=next_year, overliggedogn=1)
    )
    observer.on_avvik(avvik("o3", "SA05", AvvikStatus.OPEN, overliggedogn=9, betalingsplikt_nok=9.0))
    assert value(registry, "hub_overliggedogn", oppholdskommune="5037") == 0
    assert value(registry, "hub_overliggedogn", oppholdskommune="5038") == 1


def test_unknown_kommune_is_skipped(observer: PipelineObserver, registry: CollectorRegistry) -> None:
    """SA05 records and ready patients of kommuner outside master data set no gauge."""
    observer.on_avvik(avvik("o1", "SA05", AvvikStatus.OPEN, kommune="9999", overliggedogn=2))
    observer.on_state(state("p1", "UTSKRIVNINGSKLAR", kommune="9999"), "p1")
    assert value(registry, "hub_overliggedogn", oppholdskommune="9999") is None
    assert value(registry, "hub_utskrivningsklare_in_hospital", oppholdskommune="9999") is None


def test_utskrivningsklare_follow_phase(observer: PipelineObserver, registry: CollectorRegistry) -> None:
    """Patients count while their phase is UTSKRIVNINGSKLAR; another phase or a tombstone removes them."""
    observer.on_state(state("p1", "UTSKRIVNINGSKLAR"), "p1")
    observer.on_state(state("p2", "UTSKRIVNINGSKLAR"), "p2")
    observer.on_state(state("p3", "HOSPITAL"), "p3")
    assert value(registry, "hub_utskrivningsklare_in_hospital", oppholdskommune="5037") == 2
    observer.on_state(state("p1", "KAD"), "p1")
    observer.on_state(None, "p2")
    assert value(registry, "hub_utskrivningsklare_in_hospital", oppholdskommune="5037") == 0


def mission(
    kind: EventType, mission_id: str, at: datetime, hastegrad: str = "AKUTT", area: str = "TETTSTED"
) -> Any:
    """An ambulance mission event."""
    body = {"mission_id": mission_id, "hastegrad": hastegrad, "area": area}
    return ev(kind, "A", at, body, unit="AMK", unit_kind="AMK", msg=f"{mission_id}-{kind.value}")


def test_ambulance_response_observed_once(observer: PipelineObserver, registry: CollectorRegistry) -> None:
    """CALL_RECEIVED → ON_SCENE gives one observation per mission, in either arrival order."""
    labels = {"hastegrad": "AKUTT", "area": "TETTSTED"}
    observer.on_event(mission(EventType.CALL_RECEIVED, "m1", T0))
    observer.on_event(mission(EventType.ON_SCENE, "m1", T0 + timedelta(minutes=10)))
    observer.on_event(mission(EventType.ON_SCENE, "m1", T0 + timedelta(minutes=10)))  # redelivery
    observer.on_event(mission(EventType.ON_SCENE, "m2", T0 + timedelta(minutes=20)))  # before its call
    observer.on_event(mission(EventType.CALL_RECEIVED, "m2", T0))
    observer.on_event(mission(EventType.CALL_RECEIVED, "m3", T0))
    observer.on_event(mission(EventType.CANCELLED, "m3", T0 + timedelta(minutes=1)))
    observer.on_event(mission(EventType.ON_SCENE, "m3", T0 + timedelta(minutes=2)))
    assert value(registry, "hub_ambulance_response_seconds_count", **labels) == 2
    assert value(registry, "hub_ambulance_response_seconds_sum", **labels) == 1800
    assert value(registry, "hub_ambulance_missions_within_target_total", **labels) == 1


def discharge(who: str, episode: str, destination: str = "HOME", hf: str = "HNT") -> Any:
    """A DISCHARGED event."""
    body = {"episode_id": episode, "destination": destination}
    return ev(EventType.DISCHARGED, who, T0, body, unit="HNT-LEV-MED", hf=hf, msg=f"{who}{episode}")


def test_quality_ratios_per_hf(observer: PipelineObserver, registry: CollectorRegistry) -> None:
    """Epikrise share = 1 − SA07/discharges and readmission share = SA09/discharges, per HF."""
    for who, episode in (("A", "E1"), ("B", "E2"), ("C", "E3"), ("D", "E4")):
        observer.on_event(discharge(who, episode))
    observer.on_event(discharge("A", "E1"))  # redelivery: still four discharges
    observer.on_event(discharge("B", "E9", destination="DEAD"))  # deaths are not in the denominator
    observer.on_avvik(avvik("s7a", "SA07", AvvikStatus.OPEN))
    observer.on_avvik(avvik("s7a", "SA07", AvvikStatus.RESOLVED, delay_seconds=3600))
    observer.on_avvik(avvik("s7b", "SA07", AvvikStatus.OPEN))
    observer.on_avvik(avvik("s7c", "SA07", AvvikStatus.RETRACTED))
    observer.on_avvik(avvik("s9a", "SA09", AvvikStatus.OPEN))
    assert value(registry, "hub_epikrise_within_1d_ratio", hf="HNT") == 0.5
    assert value(registry, "hub_readmission_30d_ratio", hf="HNT") == 0.25
    cancel = ev(EventType.DISCHARGE_CANCELLED, "D", T0, {"episode_id": "E4"}, unit="HNT-LEV-MED", msg="c")
    observer.on_event(cancel)
    assert value(registry, "hub_readmission_30d_ratio", hf="HNT") == pytest.approx(1 / 3)


def test_memory_is_capped(registry: CollectorRegistry) -> None:
    """Over the cap the oldest entries are dropped and taken out of their gauges."""
    observer = PipelineObserver(HubMetrics(registry), load_masterdata(), max_entries=3)
    for i in range(10):
        observer.on_avvik(avvik(f"a{i}", "SA01", AvvikStatus.OPEN))
        observer.on_state(state(f"p{i}", "UTSKRIVNINGSKLAR"), f"p{i}")
    assert value(registry, "hub_avvik_open", code="SA01", helsefellesskap=HFS) == 3
    assert value(registry, "hub_utskrivningsklare_in_hospital", oppholdskommune="5037") == 3
    assert len(observer._open) == 3


def test_unknown_place_codes_are_counted_by_system(
    observer: PipelineObserver, registry: CollectorRegistry
) -> None:
    """An admission from a facility code organisations.csv does not name counts once under hl7-facility."""
    from hub.events import Organisation

    known = ev(EventType.ADMITTED, "A", T0, {"episode_id": "E1"}, unit="HNT-LEV-MED", msg="m-known")
    unknown = known.model_copy(
        update={"event_id": "x-unknown", "organisation": Organisation(hospital="NOPE"), "body": known.body}
    )
    observer.on_event(known)
    observer.on_event(unknown)
    name = "hub_unknown_organisation_codes_total"
    assert registry.get_sample_value(name, {"system": "hl7-facility"}) == 1.0
    assert registry.get_sample_value(name, {"system": "her"}) is None
