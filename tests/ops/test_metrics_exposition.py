"""The /metrics exposition of HubMetrics passes promtool's naming and format lint."""

from __future__ import annotations

from opstools import run
from prometheus_client import CollectorRegistry, generate_latest

from hub.events.enums import AmbulanceHastegrad, Area, SourceKind, UnitKind
from hub.observability.metrics import AckCode, FlowOutcome, HubMetrics, UnitLabels


def _every_metric_with_a_sample() -> bytes:
    registry = CollectorRegistry()
    m = HubMetrics(registry)
    unit = UnitLabels("KAD-LEVANGER", UnitKind.KAD_SOMATISK, "5037")
    m.message_consumed("samhandling.events")
    m.unknown_organisation_code("her")
    m.message_produced("samhandling.avvik")
    m.dead_lettered(SourceKind.PLO, "parse")
    m.observe_processing("samhandling.events", 0.01)
    m.set_consumer_lag("samhandling.events", 0, 5)
    m.set_worker_ready(True)
    m.set_deadlines_pending("SA01", 3)
    m.connector_message_received(SourceKind.HL7V2)
    m.connector_message_acked(SourceKind.HL7V2, AckCode.HL7_AA)
    m.connector_message_nacked(SourceKind.HL7V2, AckCode.HL7_AR)
    m.observe_ingest(SourceKind.HL7V2, 0.002)
    m.message_received(SourceKind.PLO, FlowOutcome.MAPPED, message_type="LOG_INNLAGT", standard="PLO 1.6")
    m.observe_message_delay(SourceKind.PLO, 12.5, message_type="LOG_INNLAGT", standard="PLO 1.6")
    m.avvik_was_opened("SA01", "Helsefellesskap Nord-Trøndelag")
    m.avvik_was_resolved("SA01", "Helsefellesskap Nord-Trøndelag")
    m.avvik_was_retracted("SA01", "Helsefellesskap Nord-Trøndelag")
    m.set_avvik_open("SA01", "Helsefellesskap Nord-Trøndelag", 1)
    m.set_overliggedogn("5037", 3, 3 * 5745)
    m.set_utskrivningsklare_in_hospital("5037", 2)
    m.set_bed_state(unit, occupied=3, capacity=4, occupancy_ratio=0.75)
    m.unit_admission(unit)
    m.unit_discharge(unit, 3600)
    m.observe_ambulance_response(AmbulanceHastegrad.AKUTT, Area.RURAL, 600)
    m.set_epikrise_within_1d_ratio("HNT", 0.7)
    m.set_readmission_30d_ratio("HNT", 0.2)
    m.set_kad_admissions_per_1000("5037", 22.2)
    return generate_latest(registry)


def test_exposition_passes_promtool_check_metrics(promtool: str) -> None:
    """promtool check metrics finds no naming or format problem in a fully populated exposition."""
    text = _every_metric_with_a_sample().decode()
    result = run([promtool, "check", "metrics"], stdin=text)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_metrics_flags_a_non_base_unit(promtool: str) -> None:
    """The lint really fails on a metric named with a non-base unit, so the check above can fail."""
    text = "# HELP hub_x_days Bad unit.\n# TYPE hub_x_days gauge\nhub_x_days 1\n"
    result = run([promtool, "check", "metrics"], stdin=text)
    assert result.returncode != 0
    assert "base unit" in result.stdout + result.stderr


def test_exposition_covers_every_exposed_family() -> None:
    """The populated exposition has a sample for every metric family HubMetrics defines."""
    text = _every_metric_with_a_sample().decode()
    names = {
        line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")
    }
    expected = HubMetrics(CollectorRegistry()).exposed_names()
    assert expected - names == set()
