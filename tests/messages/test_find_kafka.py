"""`hub messages find` end to end on the real broker and a real worker: ambulance messages through the
connector ingest and the worker are found by message id and by patient (person number → pseudonym, audited),
each with its journey raw → events → avvik and pathway; a refused message is found as dead-lettered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from hub.events import Event
from hub.events.outputs import AvvikRecord, PathwayStateRecord
from hub.identity import Pseudonymiser
from hub.settings import HubSettings
from tests.agents.harness import WorkerProcess, produce_events, read_latest
from tests.agents.scenario import watermark_events
from tests.agents.test_pipeline_raw import AMK_PATIENT, _mission
from tests.messages.conftest import HubCli, audit_entries

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

STEPS = [
    ("CALL_RECEIVED", "2024-05-06T09:00:00+02:00"),
    ("ON_SCENE", "2024-05-06T09:31:00+02:00"),
    ("LEFT_SCENE", "2024-05-06T09:50:00+02:00"),
]


async def _ingest(settings: HubSettings) -> None:
    sink = KafkaSink.from_settings(settings)
    try:
        ingestor = Ingestor(AMBULANCE, sink, settings)
        for status, at in STEPS:
            assert (await ingestor.ingest(_mission(status, at))).ok
        assert not (await ingestor.ingest(b'{"message_id": "AMK-BROKEN", "status": "NOPE"}')).ok
    finally:
        sink.close()


def _journeys(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


async def test_find_by_id_and_by_patient_through_the_pipeline(
    ops_settings: HubSettings, hub_cli: HubCli, tmp_path: Path
) -> None:
    """By id: the raw record, its events, the SA12 avvik and the pathway; by person number: all three."""
    settings = ops_settings
    await _ingest(settings)
    worker = WorkerProcess(settings, "find-e2e", tmp_path / "worker.log")
    try:
        worker.wait_ready()
        read_latest(settings, settings.topics.events, Event, expect=3)
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)
        read_latest(settings, settings.topics.avvik, AvvikRecord, expect=1)
        read_latest(settings, settings.topics.pathway_state, PathwayStateRecord, expect=1)
    finally:
        worker.stop()
    pseudonym = Pseudonymiser.from_settings(settings.pseudonym).person(AMK_PATIENT).pseudonym

    by_id = hub_cli("messages", "find", "--id", "AMK-TRD-M7-ON_SCENE", "--json")
    assert by_id.exit_code == 0, by_id.output
    [journey] = _journeys(by_id.output)
    assert journey["status"] == "mapped"
    assert journey["source"] == "ambulance"
    assert journey["raw"]["link"].startswith(settings.topics.raw_ambulance + ":")
    assert [e["event_type"] for e in journey["events"]] == ["ON_SCENE"]
    assert journey["events"][0]["pseudonym"] == pseudonym
    assert [a["code"] for a in journey["avvik"]] == ["SA12"]
    assert [p["pseudonym"] for p in journey["pathways"]] == [pseudonym]

    text = hub_cli("messages", "find", "--id", "AMK-TRD-M7-ON_SCENE")
    assert "  avvik    " in text.output
    assert "SA12" in text.output
    assert "1 message(s)" in text.output

    by_patient = hub_cli("messages", "find", "--patient", "--json", input=f"{AMK_PATIENT}\n")
    assert by_patient.exit_code == 0, by_patient.output
    found = _journeys(by_patient.output)
    assert [j["message_id"] for j in found] == [f"AMK-TRD-M7-{s}" for s, _ in STEPS]
    assert {a["code"] for j in found for a in j["avvik"]} == {"SA12"}
    assert AMK_PATIENT not in by_patient.output.split("\n", 1)[1]  # only the (hidden) prompt saw it

    dead = hub_cli("messages", "find", "--status", "dead-lettered", "--source", "ambulance", "--json")
    [letter] = _journeys(dead.output)
    assert letter["status"] == "dead-lettered"
    assert letter["raw"] is None
    assert letter["dead_letters"][0]["link"].startswith(settings.topics.dlq + ":")

    entries = audit_entries(settings)
    assert [e["action"] for e in entries] == ["messages.find"] * 4
    patient_entry = entries[2]
    assert pseudonym in patient_entry["resource"]
    assert AMK_PATIENT not in json.dumps(entries)
    assert patient_entry["outcome"] == "answered: 3 message(s)"


def test_an_invalid_person_number_is_refused_and_audited(ops_settings: HubSettings, hub_cli: HubCli) -> None:
    """A person number that fails the check digits is refused before any search, and the refusal audited."""
    result = hub_cli("messages", "find", "--patient", input="12345678901\n")
    assert result.exit_code != 0
    assert "not a valid person number" in result.output
    [entry] = audit_entries(ops_settings)
    assert entry["outcome"].startswith("refused")
    assert "12345678901" not in json.dumps(entry)
