"""End to end from the raw topics: connector ingest → normalise agent → pathway → avvik, and the DLQ."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.kpr.format import FORMAT as KPR
from hub.events import Event, EventType
from hub.events.outputs import AvvikRecord, AvvikStatus
from hub.events.transport import DeadLetterRecord
from hub.identity.synthetic import synthetic_number
from hub.settings import HubSettings
from tests.agents.harness import (
    WorkerProcess,
    private_settings,
    produce_events,
    produce_raw,
    read_all,
    read_latest,
)
from tests.agents.scenario import watermark_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

AMK_PATIENT = synthetic_number(date(1944, 2, 3), 31, female=False)
KAD_PATIENT = synthetic_number(date(1936, 9, 9), 77, female=True)


def _mission(status: str, at: str) -> bytes:
    return json.dumps(
        {
            "message_id": f"AMK-TRD-M7-{status}",
            "mission_id": "M7",
            "status": status,
            "occurred_at": at,
            "hastegrad": "akutt",
            "area": "tettsted",
            "amk_central": "AMK-TRD",
            "kommunenummer": "5037",
            "patient_id": AMK_PATIENT,
        }
    ).encode()


KAD_CSV = (
    "record_id,person_id,kommunenummer,tjenestetype,start,end,bed_kind,referred_by,discharge_destination\n"
    f"K9,{KAD_PATIENT},5037,25,2024-05-06T10:00:00+02:00,2024-05-06T16:00:00+02:00,,legevakt,hospital\n"
).encode()


async def test_raw_messages_become_avvik_and_bad_ones_dead_letters(
    infra: HubSettings, tmp_path: Path
) -> None:
    """Ambulance JSON (slow akutt response) and a KPR CSV (KAD bounce) give SA12 and SA11; garbage → DLQ."""
    settings = private_settings(infra, tmp_path)
    sink = KafkaSink.from_settings(settings)
    try:
        ambulance = Ingestor(AMBULANCE, sink, settings)
        for status, at in [
            ("CALL_RECEIVED", "2024-05-06T09:00:00+02:00"),
            ("ON_SCENE", "2024-05-06T09:31:00+02:00"),
            ("LEFT_SCENE", "2024-05-06T09:50:00+02:00"),
        ]:
            assert (await ambulance.ingest(_mission(status, at))).ok
        assert (await Ingestor(KPR, sink, settings).ingest(KAD_CSV)).ok
    finally:
        sink.close()
    produce_raw(settings, settings.topics.raw_ambulance, b"junk", b"this is not an Avro raw record")

    worker = WorkerProcess(settings, "raw-e2e", tmp_path / "worker.log")
    try:
        worker.wait_ready()
        read_latest(
            settings, settings.topics.events, Event, expect=5
        )  # normalised before event time moves on
        for partition, event in watermark_events(settings.topics.partitions):
            produce_events(settings, [event], partition=partition)
        avvik = read_latest(settings, settings.topics.avvik, AvvikRecord, expect=2)
        codes = {r.code: r for r in avvik.values() if r}
        assert set(codes) == {"SA11", "SA12"}
        # on scene after 31 min against the 12-min tettsted target: raised, then resolved 19 min late
        assert codes["SA12"].status is AvvikStatus.RESOLVED
        assert codes["SA12"].delay_seconds == 19 * 60
        assert codes["SA11"].status is AvvikStatus.OPEN
        assert AMK_PATIENT not in codes["SA12"].model_dump_json()

        events = [e for e in read_all(settings, settings.topics.events, Event, expect=8) if e.patient]
        types = sorted(e.event_type.value for e in events)
        assert types.count(EventType.KAD_ADMITTED.value) == 1
        assert EventType.ON_SCENE.value in types
        assert all(KAD_PATIENT not in e.model_dump_json() for e in events)

        dead = read_latest(settings, settings.topics.dlq, DeadLetterRecord, expect=1)
        (letter,) = [d for d in dead.values() if d]
        assert letter.stage == "normalise"
        assert letter.code == "serde"
        assert "single-object" in letter.reason or "encoding" in letter.reason
    finally:
        worker.stop()
