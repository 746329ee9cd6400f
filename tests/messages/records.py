"""Records of one HL7 admission as the hub writes them, and an in-memory topic source, for unit tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel

from connectors.formats import MappingContext
from connectors.hl7v2.format import FORMAT
from hub.events import Event
from hub.events.outputs import AvvikRecord, AvvikStatus, PathwayStateRecord, Severity
from hub.events.transport import RawMessage
from hub.identity import Pseudonymiser
from hub.ops.topic_reader import StoredRecord
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.hl7v2.hl7_samples import adt

RECEIVED = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class MemorySource:
    """A :class:`hub.ops.topic_reader.RecordSource` over lists (``since`` filters by timestamp)."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.topics: dict[str, list[StoredRecord]] = defaultdict(list)
        self.reads: list[str] = []

    def add(self, topic: str, key: str, record: BaseModel, at: datetime = RECEIVED) -> str:
        """Append ``record`` encoded as the hub encodes it; its link."""
        value = codec_for(self.settings, type(record), topic).encode(record)
        offset = len(self.topics[topic])
        stored = StoredRecord(topic, 0, offset, int(at.timestamp() * 1000), key.encode(), value)
        self.topics[topic].append(stored)
        return stored.link

    def read(self, topic: str, *, since: datetime | None = None) -> Iterator[StoredRecord]:
        """The records of ``topic`` at or after ``since``."""
        self.reads.append(topic)
        cutoff = int(since.timestamp() * 1000) if since else 0
        yield from (r for r in self.topics.get(topic, []) if r.timestamp_ms >= cutoff)


def admission(
    source: MemorySource, number: str, control_id: str, *, at: datetime = RECEIVED, trigger: str = "A01"
) -> tuple[RawMessage, list[Event]]:
    """An HL7 message accepted by today's format: its raw record and events on the topics, plus an avvik
    citing the events and the patient's pathway state."""
    settings = source.settings
    pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym)
    ctx = MappingContext(pseudonymiser=pseudonymiser, received_at=at)
    accepted = FORMAT.accept(adt(trigger, control_id=control_id, number=number), ctx)
    raw = RawMessage(
        format="hl7v2",
        source_kind=FORMAT.source_kind,
        system=accepted.system,
        message_id=accepted.message_id,
        received_at=at,
        content_type=FORMAT.content_type,
        payload=accepted.redacted,
        message_type=f"ADT^{trigger}",
        event_types=[e.event_type.value for e in accepted.events],
    )
    t = settings.topics
    source.add(t.raw_hl7v2, raw.message_id, raw, at)
    events = list(accepted.events)
    for event in events:
        source.add(t.events, event.key, event, at)
    if events:
        patient = events[0].patient
        assert patient is not None
        avvik = AvvikRecord(
            avvik_id=f"SA02:{control_id}",
            code="SA02",
            severity=Severity.MEDIUM,
            status=AvvikStatus.OPEN,
            patient_pseudonym=patient.pseudonym,
            detected_at=at,
            evidence_event_ids=[e.event_id for e in events],
            text_no="Innleggelse uten melding",
            text_en="Admission without notice",
        )
        source.add(t.avvik, avvik.avvik_id, avvik, at)
        state = PathwayStateRecord(
            pseudonym=patient.pseudonym, status="ACTIVE", phase="HOSPITAL", pathway_id="P1"
        )
        source.add(t.pathway_state, patient.pseudonym, state, at)
    return raw, events
