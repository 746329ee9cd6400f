"""HubMetrics: names, labels and values on a fresh registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from hub.events.enums import AmbulanceHastegrad, Area, SourceKind, UnitKind
from hub.observability.metrics import AckCode, HubMetrics, UnitLabels, label_value

KAD = UnitLabels(unit_id="KAD-LEVANGER", kind=UnitKind.KAD_SOMATISK, kommune="5037")
WARD = UnitLabels(unit_id="HNT-LEV-MED1", kind=UnitKind.WARD, kommune="5037", hf="HNT")


@pytest.fixture
def registry() -> CollectorRegistry:
    """A fresh registry per test."""
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> HubMetrics:
    """The container on the fresh registry."""
    return HubMetrics(registry)


def test_messages_consumed_and_produced_count_per_topic(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """Consumed and produced records are counted per topic with the _total suffix."""
    metrics.message_consumed("samhandling.events")
    metrics.message_consumed("samhandling.events", 2)
    metrics.message_produced("samhandling.avvik")
    assert registry.get_sample_value("hub_messages_consumed_total", {"topic": "samhandling.events"}) == 3
    assert registry.get_sample_value("hub_messages_produced_total", {"topic": "samhandling.avvik"}) == 1


def test_dead_letters_count_by_source_and_reason(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """A dead-lettered record is counted by source kind and reason code."""
    metrics.dead_lettered(SourceKind.HL7V2, "parse")
    labels = {"source": "HL7V2", "reason": "parse"}
    assert registry.get_sample_value("hub_dlq_records_total", labels) == 1


def test_dead_letter_reason_must_be_a_code(metrics: HubMetrics) -> None:
    """A free-text reason is refused so that the reason label stays bounded."""
    with pytest.raises(ValueError, match="reason code"):
        metrics.dead_lettered(SourceKind.PLO, "Invalid XML at line 3")


def test_processing_latency_lands_in_histogram_buckets(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """Processing time is observed in seconds into the per-topic histogram."""
    metrics.observe_processing("samhandling.events", 0.02)
    labels = {"topic": "samhandling.events"}
    assert registry.get_sample_value("hub_processing_duration_seconds_count", labels) == 1
    assert registry.get_sample_value("hub_processing_duration_seconds_bucket", {**labels, "le": "0.025"}) == 1
    assert registry.get_sample_value("hub_processing_duration_seconds_bucket", {**labels, "le": "0.01"}) == 0


def test_consumer_lag_is_set_per_topic_and_partition(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """Consumer lag is a gauge per topic and partition."""
    metrics.set_consumer_lag("samhandling.events", 3, 120)
    labels = {"topic": "samhandling.events", "partition": "3"}
    assert registry.get_sample_value("hub_consumer_lag_messages", labels) == 120


def test_worker_ready_toggles(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """The ready gauge is 1 when ready and 0 when not."""
    metrics.set_worker_ready(True)
    assert registry.get_sample_value("hub_worker_ready") == 1
    metrics.set_worker_ready(False)
    assert registry.get_sample_value("hub_worker_ready") == 0


def test_deadlines_pending_by_avvik_code(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """Pending deadlines are a gauge per avvik code."""
    metrics.set_deadlines_pending("SA01", 7)
    assert registry.get_sample_value("hub_deadlines_pending", {"code": "SA01"}) == 7


def test_connector_counters_by_source_and_ack_code(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """Connector receipts, acks and nacks are counted by source kind and ack code."""
    metrics.connector_message_received(SourceKind.HL7V2)
    metrics.connector_message_received(SourceKind.HL7V2)
    metrics.connector_message_acked(SourceKind.HL7V2, AckCode.HL7_AA)
    metrics.connector_message_nacked(SourceKind.HL7V2, AckCode.HL7_AR)
    metrics.observe_ingest(SourceKind.HL7V2, 0.004)
    assert registry.get_sample_value("hub_connector_messages_received_total", {"source": "HL7V2"}) == 2
    acked = {"source": "HL7V2", "code": "AA"}
    nacked = {"source": "HL7V2", "code": "AR"}
    assert registry.get_sample_value("hub_connector_messages_acked_total", acked) == 1
    assert registry.get_sample_value("hub_connector_messages_nacked_total", nacked) == 1
    assert registry.get_sample_value("hub_connector_ingest_duration_seconds_count", {"source": "HL7V2"}) == 1


def test_avvik_lifecycle_counters_and_open_gauge(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """Avvik lifecycle counters and the open gauge are kept per code and helsefellesskap."""
    labels = {"code": "SA05", "helsefellesskap": "Helsefellesskap Nord-Trøndelag"}
    metrics.avvik_was_opened("SA05", "Helsefellesskap Nord-Trøndelag")
    metrics.avvik_was_opened("SA05", "Helsefellesskap Nord-Trøndelag")
    metrics.avvik_was_resolved("SA05", "Helsefellesskap Nord-Trøndelag")
    metrics.avvik_was_retracted("SA05", "Helsefellesskap Nord-Trøndelag")
    metrics.set_avvik_open("SA05", "Helsefellesskap Nord-Trøndelag", 0)
    assert registry.get_sample_value("hub_avvik_opened_total", labels) == 2
    assert registry.get_sample_value("hub_avvik_resolved_total", labels) == 1
    assert registry.get_sample_value("hub_avvik_retracted_total", labels) == 1
    assert registry.get_sample_value("hub_avvik_open", labels) == 0


def test_avvik_code_must_be_from_the_catalogue_shape(metrics: HubMetrics) -> None:
    """An avvik code not shaped like SAnn is refused."""
    with pytest.raises(ValueError, match="avvik code"):
        metrics.avvik_was_opened("late epikrise", "HF Nord")


def test_overliggedogn_and_betalingsplikt_by_oppholdskommune(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """Overliggedøgn and betalingsplikt NOK are set per oppholdskommune."""
    metrics.set_overliggedogn("5037", days=3, betalingsplikt_nok=3 * 5745)
    metrics.set_utskrivningsklare_in_hospital("5037", 2)
    labels = {"oppholdskommune": "5037"}
    assert registry.get_sample_value("hub_overliggedogn", labels) == 3
    assert registry.get_sample_value("hub_betalingsplikt_nok", labels) == 17235
    assert registry.get_sample_value("hub_utskrivningsklare_in_hospital", labels) == 2


def test_kommune_label_must_be_a_kommunenummer(metrics: HubMetrics) -> None:
    """A kommune label that is not four digits is refused."""
    with pytest.raises(ValueError, match="kommunenummer"):
        metrics.set_utskrivningsklare_in_hospital("Levanger", 1)


def test_bed_state_per_unit_with_master_data_labels(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """Occupied beds, capacity and belegg are set per unit with unit kind, kommune and HF labels."""
    metrics.set_bed_state(WARD, occupied=22, capacity=20, occupancy_ratio=1.1)
    labels = {"unit": "HNT-LEV-MED1", "unit_kind": "WARD", "kommune": "5037", "hf": "HNT"}
    assert registry.get_sample_value("hub_beds_occupied", labels) == 22
    assert registry.get_sample_value("hub_beds_capacity", labels) == 20
    assert registry.get_sample_value("hub_bed_occupancy_ratio", labels) == pytest.approx(1.1)


def test_municipal_unit_has_empty_hf_label(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """A KAD unit has no HF, so its hf label is empty."""
    metrics.unit_admission(KAD)
    labels = {"unit": "KAD-LEVANGER", "unit_kind": "KAD_SOMATISK", "kommune": "5037", "hf": ""}
    assert registry.get_sample_value("hub_admissions_total", labels) == 1


def test_discharge_observes_length_of_stay_by_unit_kind(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """A discharge is counted per unit and its length of stay observed per unit kind."""
    metrics.unit_discharge(KAD, length_of_stay_seconds=2 * 86400)
    metrics.unit_discharge(KAD)
    unit = {"unit": "KAD-LEVANGER", "unit_kind": "KAD_SOMATISK", "kommune": "5037", "hf": ""}
    assert registry.get_sample_value("hub_discharges_total", unit) == 2
    kind = {"unit_kind": "KAD_SOMATISK"}
    assert registry.get_sample_value("hub_length_of_stay_seconds_count", kind) == 1
    assert registry.get_sample_value("hub_length_of_stay_seconds_sum", kind) == 172800


def test_ambulance_response_counts_missions_within_target(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """An akutt tettsted mission within 12 min counts as within target; one over 12 min does not."""
    assert metrics.observe_ambulance_response(AmbulanceHastegrad.AKUTT, Area.TETTSTED, 700) is True
    assert metrics.observe_ambulance_response(AmbulanceHastegrad.AKUTT, Area.TETTSTED, 800) is False
    labels = {"hastegrad": "AKUTT", "area": "TETTSTED"}
    assert registry.get_sample_value("hub_ambulance_missions_total", labels) == 2
    assert registry.get_sample_value("hub_ambulance_missions_within_target_total", labels) == 1
    assert registry.get_sample_value("hub_ambulance_response_seconds_bucket", {**labels, "le": "720.0"}) == 1


def test_ambulance_rural_target_is_25_minutes(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """A rural mission of 20 min meets the 25 min target and falls in the 1500 s bucket."""
    assert metrics.observe_ambulance_response(AmbulanceHastegrad.AKUTT, Area.RURAL, 1200) is True
    labels = {"hastegrad": "AKUTT", "area": "RURAL"}
    assert registry.get_sample_value("hub_ambulance_response_seconds_bucket", {**labels, "le": "1500.0"}) == 1
    assert registry.get_sample_value("hub_ambulance_missions_within_target_total", labels) == 1


def test_missed_target_still_exposes_within_target_series(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """A first mission that misses the target exposes the within-target counter at 0 so ratios are defined."""
    metrics.observe_ambulance_response(AmbulanceHastegrad.HASTER, Area.RURAL, 3000)
    labels = {"hastegrad": "HASTER", "area": "RURAL"}
    assert registry.get_sample_value("hub_ambulance_missions_within_target_total", labels) == 0


def test_quality_ratios_and_kad_rate(metrics: HubMetrics, registry: CollectorRegistry) -> None:
    """Epikrise and readmission shares are set per HF and the KAD rate per kommune."""
    metrics.set_epikrise_within_1d_ratio("HNT", 0.72)
    metrics.set_readmission_30d_ratio("HNT", 0.217)
    metrics.set_kad_admissions_per_1000("5037", 22.2)
    assert registry.get_sample_value("hub_epikrise_within_1d_ratio", {"hf": "HNT"}) == pytest.approx(0.72)
    assert registry.get_sample_value("hub_readmission_30d_ratio", {"hf": "HNT"}) == pytest.approx(0.217)
    assert registry.get_sample_value(
        "hub_kad_admissions_per_1000_inhabitants", {"kommune": "5037"}
    ) == pytest.approx(22.2)


def test_ratio_outside_unit_interval_is_refused(metrics: HubMetrics) -> None:
    """A share above 1 is refused."""
    with pytest.raises(ValueError, match="ratio"):
        metrics.set_epikrise_within_1d_ratio("HNT", 72)


def test_negative_gauge_values_are_refused(metrics: HubMetrics) -> None:
    """Negative counts are refused."""
    with pytest.raises(ValueError, match="negative"):
        metrics.set_consumer_lag("samhandling.events", 0, -1)


@pytest.mark.parametrize(
    "value", ["01017012345", "pasient 01017012345", "", "x" * 65, "a\nb", "HNT\n", "{x}"]
)
def test_label_value_refuses_person_numbers_and_junk(value: str) -> None:
    """A value shaped like a fødselsnummer, empty, too long or with odd characters is refused."""
    with pytest.raises(ValueError, match="safe metric label"):
        label_value(value)


def test_unit_id_shaped_like_person_number_is_refused(metrics: HubMetrics) -> None:
    """A unit id that carries an 11-digit number is refused before it becomes a label."""
    unit = UnitLabels(unit_id="bed-01017012345", kind=UnitKind.WARD, kommune="5037", hf="HNT")
    with pytest.raises(ValueError, match="unit id"):
        metrics.unit_admission(unit)


def test_label_value_passes_enum_members_and_master_data() -> None:
    """Enum members and ordinary master-data ids pass unchanged."""
    assert label_value(UnitKind.KAD_SOMATISK) == "KAD_SOMATISK"
    assert label_value("Helse Nord-Trøndelag HF") == "Helse Nord-Trøndelag HF"


def test_second_container_on_same_registry_is_refused(registry: CollectorRegistry) -> None:
    """Registering the metrics twice on one registry raises, so double registration is caught."""
    HubMetrics(registry)
    with pytest.raises(ValueError, match="Duplicated"):
        HubMetrics(registry)


def test_exposed_names_cover_every_registered_family(
    metrics: HubMetrics, registry: CollectorRegistry
) -> None:
    """Every metric family in the registry appears among the exposed names, with conventional suffixes."""
    names = metrics.exposed_names()
    families = {family.name for family in registry.collect()}
    for family in families:
        assert family in names or f"{family}_total" in names or f"{family}_bucket" in names
    counters = [n for n in names if n.endswith("_total")]
    assert counters, "expected counters"
    assert all(n.startswith("hub_") for n in names)
    assert "hub_ambulance_response_seconds_bucket" in names
    assert "hub_messages_consumed" not in names


def test_kommune_with_trailing_newline_is_refused(metrics: HubMetrics) -> None:
    """A kommunenummer followed by a newline is refused (the whole value must match)."""
    with pytest.raises(ValueError, match="kommunenummer"):
        metrics.set_kad_admissions_per_1000("5037\n", 1.0)
