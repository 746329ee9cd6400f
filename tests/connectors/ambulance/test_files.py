"""JSON-lines file ingestion: every line accounted for; bad lines reported by number and dead-lettered."""

from __future__ import annotations

from pathlib import Path

from connectors.ambulance.files import ingest_file
from connectors.ambulance.format import FORMAT
from connectors.common.sink import MemorySink
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.ambulance.messages import payload


async def test_file_with_a_bad_line(tmp_path: Path, settings: HubSettings) -> None:
    """Good lines reach the raw topic; the bad line is in the report and the DLQ with its line number."""
    path = tmp_path / "missions.jsonl"
    path.write_bytes(
        payload("CALL_RECEIVED")
        + b"\n"
        + b'{"mission_id": "M42", "status": "NOPE"}\n'
        + b"\n"
        + payload("DISPATCHED")
        + b"\r\n"
    )
    sink = MemorySink()
    report = await ingest_file(path, FORMAT, sink, settings)
    assert [r.line for r in report.accepted] == [1, 4]
    (bad,) = report.rejected
    assert bad.line == 2
    assert bad.reason is not None
    assert "line 2" in bad.reason
    assert report.blank == 1
    assert "line 2:" in report.summary()
    raw_codec = codec_for(settings, RawMessage, settings.topics.raw_ambulance)
    raws = [raw_codec.decode(v) for _, v in sink.on(settings.topics.raw_ambulance)]
    assert [r.message_id for r in raws] == ["AMK1-M42-CALL_RECEIVED", "AMK1-M42-DISPATCHED"]
    dlq_codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    (dead,) = [dlq_codec.decode(v) for _, v in sink.on(settings.topics.dlq)]
    assert "line 2" in dead.reason
    assert dead.code == "validation"


async def test_repeated_line_is_a_duplicate(tmp_path: Path, settings: HubSettings) -> None:
    """The same message twice in a file is written once and reported as a duplicate the second time."""
    path = tmp_path / "dup.jsonl"
    path.write_bytes(payload() + b"\n" + payload() + b"\n")
    sink = MemorySink()
    report = await ingest_file(path, FORMAT, sink, settings)
    assert [r.status for r in report.lines] == ["accepted", "duplicate"]
    assert len(sink.on(settings.topics.raw_ambulance)) == 1
