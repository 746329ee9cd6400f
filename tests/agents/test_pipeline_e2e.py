"""End to end on the real broker: canonical events in, avvik / pathway states / bed counts out."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.events.outputs import AvvikRecord, AvvikStatus, BedMetricsRecord, MetricPeriod, PathwayStateRecord
from hub.settings import HubSettings
from tests.agents.harness import WorkerProcess, private_settings, produce_events, read_latest
from tests.agents.scenario import PATIENTS, expected_avvik, scenario, watermark_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _latest_live(records: dict[str, BedMetricsRecord | None], unit: str) -> BedMetricsRecord:
    live = [r for r in records.values() if r and r.scope_id == unit and r.period is MetricPeriod.LIVE]
    assert live, f"no LIVE bed record for {unit}"
    return max(live, key=lambda r: r.period_start)


def test_scenario_gives_the_expected_outputs(infra: HubSettings, tmp_path: Path) -> None:
    """The scripted scenario gives the core's avvik (same ids), the pathway states and the bed counts."""
    settings = private_settings(infra, tmp_path)
    worker = WorkerProcess(settings, "e2e", tmp_path / "worker.log")
    try:
        worker.wait_ready()
        events = scenario()
        produce_events(settings, events)
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)

        expected = expected_avvik(events)
        avvik = read_latest(settings, settings.topics.avvik, AvvikRecord, expect=len(expected))
        assert {k: v.status for k, v in avvik.items() if v} == expected
        codes = {v.code: v.patient_pseudonym for v in avvik.values() if v and v.status is AvvikStatus.OPEN}
        assert codes == {"SA01": PATIENTS["A"], "SA11": PATIENTS["C"]}

        states = read_latest(settings, settings.topics.pathway_state, PathwayStateRecord, expect=4)
        phases = {k: v.phase for k, v in states.items() if v}
        assert phases[PATIENTS["A"]] == "HOSPITAL"
        assert phases[PATIENTS["B"]] == "HOSPITAL"
        assert phases[PATIENTS["C"]] != "KAD"

        beds = read_latest(settings, settings.topics.beds_metrics, BedMetricsRecord, expect=3)
        ward = _latest_live(beds, "HNT-LEV-MED")
        assert ward.occupied == 2  # A and B; D's admission was cancelled
        assert ward.capacity == 28
        assert _latest_live(beds, "K5037-KAD").occupied == 0
    finally:
        worker.stop()
