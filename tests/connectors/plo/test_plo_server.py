"""The PLO HTTP endpoint and drop directory over real sockets/files with an in-memory sink."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.formats import Accepted, MappingContext
from connectors.plo import schemas
from connectors.plo.cli import plo
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, DropDirectory, build_app
from connectors.plo.xmlsafe import attr, child, children, parse, text
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.plo.conftest import SAMPLE_NUMBERS, sample

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
GOOD_ID = b"79c55ed0-0692-11e8-b566-0800200c9a66"


async def _post(settings: HubSettings, sink: MemorySink, body: bytes) -> tuple[int, bytes, str]:
    app = build_app(Ingestor(FORMAT, sink, settings))
    async with TestClient(TestServer(app)) as client:
        response = await client.post(PATH, data=body, headers={"Content-Type": "application/xml"})
        return response.status, await response.read(), response.content_type


def _apprec(body: bytes) -> tuple[str | None, list[str | None]]:
    root = parse(body)
    schemas.validate(root, schemas.APPREC_V1_NS)
    return attr(root, "Status"), [attr(e) for e in children(root, "Error")]


async def test_good_message_is_acknowledged_with_ok_apprec(settings: HubSettings) -> None:
    """A valid message is written (redacted) to the raw topic and answered 200 with AppRec status 1."""
    sink = MemorySink()
    status, body, content_type = await _post(settings, sink, sample(GOOD))
    assert status == 200
    assert content_type == "application/xml"
    assert _apprec(body) == ("1", [])
    assert text(child(parse(body), "OriginalMsgId"), "Id") == "79c55ed0-0692-11e8-b566-0800200c9a66"
    (record,) = sink.on(settings.topics.raw_plo)
    raw = codec_for(settings, RawMessage, settings.topics.raw_plo).decode(record[1])
    assert raw.message_id == "79c55ed0-0692-11e8-b566-0800200c9a66"
    assert raw.system == "her:59"
    assert all(number.encode() not in raw.payload for number in SAMPLE_NUMBERS)
    assert sink.on(settings.topics.dlq) == []


async def test_malformed_message_gets_400_and_avvist_t01(settings: HubSettings) -> None:
    """Not well-formed XML is dead-lettered and answered 400 with an Avvist AppRec (T01)."""
    sink = MemorySink()
    status, body, _ = await _post(settings, sink, b"<MsgHead><broken")
    assert status == 400
    assert _apprec(body) == ("2", ["T01"])
    (record,) = sink.on(settings.topics.dlq)
    dead = codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(record[1])
    assert dead.code == "parse"
    assert sink.on(settings.topics.raw_plo) == []


async def test_invalid_message_gets_422_and_avvist_t02(settings: HubSettings) -> None:
    """A schema violation is answered 422 with an Avvist AppRec (T02) naming the original message."""
    payload = sample(GOOD).replace(b"<Anslag>false</Anslag>", b"<Anslag>x</Anslag>")
    sink = MemorySink()
    status, body, _ = await _post(settings, sink, payload)
    assert status == 422
    assert _apprec(body) == ("2", ["T02"])
    assert text(child(parse(body), "OriginalMsgId"), "Id") == "79c55ed0-0692-11e8-b566-0800200c9a66"
    assert len(sink.on(settings.topics.dlq)) == 1


async def test_valid_unmapped_message_gets_ok_and_is_written(settings: HubSettings) -> None:
    """A valid message the hub maps to no event gets 200 + AppRec OK and is written with no event types."""
    sink = MemorySink()
    status, body, _ = await _post(settings, sink, sample("Dialogmelding_avvik_v1-0.xml"))
    assert status == 200
    assert _apprec(body) == ("1", [])
    (record,) = sink.on(settings.topics.raw_plo)
    raw = codec_for(settings, RawMessage, settings.topics.raw_plo).decode(record[1])
    assert raw.event_types == []
    assert raw.message_type == "DIALOG_AVVIK"
    assert raw.standard == "Dialogmelding 1.0"
    assert raw.unmapped is not None
    assert sink.on(settings.topics.dlq) == []


async def test_raw_record_names_type_standard_parties_and_events(settings: HubSettings) -> None:
    """The raw record says what the message was (type, standard, sender, receiver) and what it mapped to."""
    sink = MemorySink()
    await _post(settings, sink, sample(GOOD))
    (record,) = sink.on(settings.topics.raw_plo)
    raw = codec_for(settings, RawMessage, settings.topics.raw_plo).decode(record[1])
    assert raw.event_types == ["DECLARED_READY", "MUNICIPALITY_NOTIFIED"]
    assert (raw.message_type, raw.standard, raw.sender, raw.receiver) == (
        "LOG_UTSKRIVNINGSKLAR",
        "PLO 1.6",
        "59",
        "99387",
    )
    assert raw.unmapped is None


async def test_unknown_document_gets_avvist_t10(settings: HubSettings) -> None:
    """A MsgHead carrying a document of no supported standard is refused with T10 and dead-lettered."""
    payload = re.sub(
        rb"<Content>.*</Content>",
        b'<Content><Ukjent xmlns="urn:example:not-elin"/></Content>',
        sample(GOOD),
        flags=re.DOTALL,
    )
    sink = MemorySink()
    status, body, _ = await _post(settings, sink, payload)
    assert status == 422
    assert _apprec(body) == ("2", ["T10"])
    assert len(sink.on(settings.topics.dlq)) == 1
    assert sink.on(settings.topics.raw_plo) == []


async def test_kafka_failure_gives_503_without_apprec(settings: HubSettings) -> None:
    """When Kafka does not confirm, the sender gets 503 and no positive AppRec."""
    status, body, _ = await _post(settings, MemorySink(fail_with="broker down"), sample(GOOD))
    assert status == 503
    assert b"AppRec" not in body


async def test_incoming_apprec_is_not_answered(settings: HubSettings) -> None:
    """An incoming AppRec is accepted (204) and never answered with another AppRec."""
    sink = MemorySink()
    status, body, _ = await _post(settings, sink, sample("AppRec-v1-eksempel-avvist.xml"))
    assert status == 204
    assert body == b""
    assert len(sink.on(settings.topics.raw_plo)) == 1


async def test_health_endpoint(settings: HubSettings) -> None:
    """GET /healthz answers ok."""
    app = build_app(Ingestor(FORMAT, MemorySink(), settings))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/healthz")
        assert response.status == 200


def _drop(settings: HubSettings, sink: MemorySink, tmp_path: Path) -> DropDirectory:
    drop = DropDirectory(Ingestor(FORMAT, sink, settings), tmp_path / "inbox", tmp_path / "outbox", 0.01)
    drop.prepare()
    return drop


async def test_drop_directory_moves_good_file_to_done(settings: HubSettings, tmp_path: Path) -> None:
    """An accepted file moves to done/ and its OK AppRec is written to the outbox."""
    sink = MemorySink()
    drop = _drop(settings, sink, tmp_path)
    (drop.inbox / "m1.xml").write_bytes(sample(GOOD))
    assert await drop.poll_once() == 1
    assert (drop.done / "m1.xml").exists()
    assert not (drop.inbox / "m1.xml").exists()
    assert _apprec((drop.outbox / "m1.apprec.xml").read_bytes()) == ("1", [])
    assert len(sink.on(settings.topics.raw_plo)) == 1


async def test_drop_directory_moves_bad_file_to_error_with_reason(
    settings: HubSettings, tmp_path: Path
) -> None:
    """A rejected file moves to error/ beside a .reason.txt and gets an Avvist AppRec."""
    drop = _drop(settings, MemorySink(), tmp_path)
    (drop.inbox / "bad.xml").write_bytes(b"<not-xml")
    await drop.poll_once()
    assert (drop.error / "bad.xml").exists()
    assert (drop.error / "bad.xml.reason.txt").read_text().startswith("parse:")
    assert _apprec((drop.outbox / "bad.apprec.xml").read_bytes()) == ("2", ["T01"])


async def test_drop_directory_accepts_valid_unmapped_file(settings: HubSettings, tmp_path: Path) -> None:
    """A valid file the hub maps to no event moves to done/ with an OK AppRec, like any accepted file."""
    sink = MemorySink()
    drop = _drop(settings, sink, tmp_path)
    (drop.inbox / "status.xml").write_bytes(sample("Status_paa_henvisning-InnkaltEtterViderehenvisning.xml"))
    assert await drop.poll_once() == 1
    assert (drop.done / "status.xml").exists()
    assert _apprec((drop.outbox / "status.apprec.xml").read_bytes()) == ("1", [])
    assert len(sink.on(settings.topics.raw_plo)) == 1


async def test_drop_directory_keeps_file_when_kafka_fails(settings: HubSettings, tmp_path: Path) -> None:
    """When Kafka does not confirm, the file stays in the inbox and no reply is written."""
    drop = _drop(settings, MemorySink(fail_with="down"), tmp_path)
    (drop.inbox / "m1.xml").write_bytes(sample(GOOD))
    assert await drop.poll_once() == 0
    assert (drop.inbox / "m1.xml").exists()
    assert list(drop.outbox.iterdir()) == []


async def test_drop_directory_skips_partial_files(settings: HubSettings, tmp_path: Path) -> None:
    """Files still being written (.tmp, .part, dot-files) are left alone."""
    drop = _drop(settings, MemorySink(), tmp_path)
    for name in ("a.xml.tmp", "b.part", ".c.xml"):
        (drop.inbox / name).write_bytes(sample(GOOD))
    assert await drop.poll_once() == 0


async def test_drop_directory_run_stops_on_event(settings: HubSettings, tmp_path: Path) -> None:
    """The polling loop processes files and ends when asked to stop."""
    drop = _drop(settings, MemorySink(), tmp_path)
    (drop.inbox / "m1.xml").write_bytes(sample(GOOD))
    stop = asyncio.Event()
    task = asyncio.create_task(drop.run(stop))
    for _ in range(200):
        if (drop.done / "m1.xml").exists():
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert (drop.done / "m1.xml").exists()


def test_cli_command_is_named_plo() -> None:
    """The click command is called ``plo`` and offers the drop-directory options."""
    result = CliRunner().invoke(plo, ["--help"])
    assert plo.name == "plo"
    assert result.exit_code == 0
    assert "--inbox" in result.output


async def test_drop_directory_moves_on_when_the_hub_fails_on_a_file(
    settings: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file the hub itself fails on (a mapper fault) goes to error/ with the fault, without an AppRec, and
    the file behind it is processed: one bad file never blocks the directory."""
    sink = MemorySink()
    drop = _drop(settings, sink, tmp_path)
    accept = FORMAT.accept

    def faulty(payload: bytes, ctx: MappingContext) -> Accepted:
        if b"BOOM" in payload:
            raise RuntimeError("mapper fault")
        return accept(payload, ctx)

    monkeypatch.setattr(FORMAT, "accept", faulty)
    (drop.inbox / "1-boom.xml").write_bytes(sample(GOOD).replace(b"<MsgInfo>", b"<!-- BOOM --><MsgInfo>"))
    (drop.inbox / "2-good.xml").write_bytes(sample(GOOD).replace(GOOD_ID, b"another-message-id"))
    assert await drop.poll_once() == 2
    assert (drop.error / "1-boom.xml.reason.txt").read_text().startswith("internal: RuntimeError")
    assert not (drop.outbox / "1-boom.apprec.xml").exists()
    assert (drop.done / "2-good.xml").exists()
    assert len(sink.on(settings.topics.raw_plo)) == 1
