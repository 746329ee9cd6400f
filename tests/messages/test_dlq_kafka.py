"""`hub dlq` on the real broker: a dead letter is counted, shown (unsealed only with the key, audited) and
reprocessed after a mapping fix into the raw topic with a link to it, once."""

from __future__ import annotations

import json

import pytest

import connectors.hl7v2.adt as adt_mapping
from agents.normaliser import Normaliser
from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink
from connectors.hl7v2.format import FORMAT
from hub.events import EventType
from hub.events.transport import RawMessage
from hub.identity import Pseudonymiser
from hub.identity.sealing import Sealer
from hub.ops.topic_reader import KafkaRecordSource
from hub.ops.traceparent import from_headers
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.hl7v2.hl7_samples import FNR, adt
from tests.messages.conftest import HubCli, audit_entries

pytestmark = pytest.mark.kafka


async def _dead_letter_a05(settings: HubSettings, control_id: str) -> None:
    sink = KafkaSink.from_settings(settings)
    try:
        result = await Ingestor(FORMAT, sink, settings).ingest(adt("A05", control_id=control_id))
    finally:
        sink.close()
    assert result.error is not None
    assert result.error.code == "unsupported_event"


def _raw_records(settings: HubSettings) -> list[RawMessage]:
    codec = codec_for(settings, RawMessage, settings.topics.raw_hl7v2)
    source = KafkaRecordSource(settings, timeout_s=10)
    return [codec.decode(r.value) for r in source.read(settings.topics.raw_hl7v2) if r.value]


async def test_list_and_show_a_dead_letter(ops_settings: HubSettings, hub_cli: HubCli) -> None:
    """list counts by source and code; show keeps the payload sealed unless --unseal, which is audited."""
    await _dead_letter_a05(ops_settings, "DLQ-SHOW-1")
    listed = hub_cli("dlq", "list")
    assert listed.exit_code == 0, listed.output
    assert "1 dead letters" in listed.output
    assert "hl7v2       unsupported_event" in listed.output
    link = f"{ops_settings.topics.dlq}:0:0"
    assert link in listed.output
    assert FNR not in listed.output

    sealed = hub_cli("dlq", "show", "0:0")
    assert sealed.exit_code == 0, sealed.output
    assert "ADT trigger 'A05' is not mapped" in sealed.output
    assert "sealed (use --unseal" in sealed.output
    assert FNR not in sealed.output
    assert audit_entries(ops_settings) == []

    opened = hub_cli("dlq", "show", link, "--unseal")
    assert opened.exit_code == 0, opened.output
    assert FNR in opened.output  # the original, person number and all
    [entry] = audit_entries(ops_settings)
    assert entry["action"] == "dlq.show"
    assert entry["resource"] == link
    assert entry["outcome"] == "answered"
    assert entry["actor"].startswith("cli:")
    assert FNR not in json.dumps(entry)


async def test_show_without_the_key_is_refused_and_audited(
    ops_settings: HubSettings, hub_cli: HubCli
) -> None:
    """A hub without the sealing key cannot open the letter; the refused attempt is audited."""
    await _dead_letter_a05(ops_settings, "DLQ-NOKEY-1")
    other_keys = {
        "HUB_PSEUDONYM__KEYS": json.dumps({"other": "another-secret-of-at-least-16"}),
        "HUB_PSEUDONYM__ACTIVE_KEY_ID": "other",
    }
    result = hub_cli("dlq", "show", "0", "--unseal", env_extra=other_keys)
    assert result.exit_code != 0
    assert "no pseudonym key" in result.output
    assert FNR not in result.output
    [entry] = audit_entries(ops_settings)
    assert entry["outcome"].startswith("refused")


async def test_reprocess_after_a_mapping_fix(
    ops_settings: HubSettings, hub_cli: HubCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A05 is dead-lettered; reprocess still fails, then after the fix writes the raw record (dry run first)
    with reprocessed_from, the normaliser maps it, and a second run does not write it again."""
    await _dead_letter_a05(ops_settings, "DLQ-FIX-1")
    link = f"{ops_settings.topics.dlq}:0:0"

    before = hub_cli("dlq", "reprocess", "--all")
    assert before.exit_code == 0, before.output
    assert f"{link}  still fails: unsupported_event" in before.output
    assert _raw_records(ops_settings) == []

    monkeypatch.setitem(adt_mapping.EVENT_FOR_TRIGGER, "A05", EventType.ADMITTED)  # the mapping fix
    dry = hub_cli("dlq", "reprocess", "--source", "hl7v2", "--dry-run")
    assert "would reprocess: passes now: ADMITTED" in dry.output
    assert _raw_records(ops_settings) == []

    done = hub_cli("dlq", "reprocess", link)
    assert done.exit_code == 0, done.output
    assert f"reprocessed → {ops_settings.topics.raw_hl7v2}" in done.output
    [raw] = _raw_records(ops_settings)
    assert raw.reprocessed_from == link
    assert raw.message_id == "DLQ-FIX-1"
    assert FNR.encode() not in raw.payload

    codec = codec_for(ops_settings, RawMessage, ops_settings.topics.raw_hl7v2)
    normaliser = Normaliser(
        codec,
        Pseudonymiser.from_settings(ops_settings.pseudonym),
        Sealer.from_settings(ops_settings.pseudonym),
    )
    normalised = normaliser.normalise(
        codec.encode(raw), topic=ops_settings.topics.raw_hl7v2, now=raw.received_at
    )
    assert normalised.dead_letter is None
    assert [e.event_type for e in normalised.events] == [EventType.ADMITTED]

    [stored] = list(KafkaRecordSource(ops_settings, timeout_s=10).read(ops_settings.topics.raw_hl7v2))
    trace = from_headers(stored.headers)
    assert trace is not None  # a new W3C trace starts with the reprocessed record
    found = hub_cli("messages", "find", "--id", "DLQ-FIX-1", "--json")
    journey = json.loads(found.output.splitlines()[-1])
    assert journey["raw"]["reprocessed_from"] == link
    assert journey["raw"]["trace_id"] == trace.trace_id

    again = hub_cli("dlq", "reprocess", "--all")
    assert "skipped: already reprocessed" in again.output
    assert len(_raw_records(ops_settings)) == 1
    actions = [e["action"] for e in audit_entries(ops_settings)]
    assert actions == ["dlq.reprocess", "dlq.reprocess (dry run)", "dlq.reprocess", "messages.find"]
