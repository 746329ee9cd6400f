"""Oversized messages: one size limit for connector, producer and topics; over it a permanent Avvist and a
dead letter (never an endless 503), and the drop directory goes on with the files behind it."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor
from connectors.common.sink import PRODUCER_MAX_MESSAGE_BYTES, KafkaSink, MemorySink
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, DropDirectory, build_app
from connectors.plo.xmlsafe import HTTP_MAX_BYTES, MAX_BYTES, attr, child, children, parse, text
from hub.events.transport import MAX_RECORD_BYTES, RECORD_FRAMING_BYTES, DeadLetterRecord
from hub.identity.sealing import Sealer
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.plo.conftest import sample

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
MSG_ID = "79c55ed0-0692-11e8-b566-0800200c9a66"
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588
"""Kafka's default ``message.max.bytes`` / topic ``max.message.bytes``."""


def oversized(extra: int = 64 * 1024) -> bytes:
    """GOOD padded (with a comment, so still well-formed) to just over the message limit."""
    payload = sample(GOOD)
    pad = b"<!--" + b"x" * (MAX_BYTES - len(payload) + extra) + b"-->"
    return payload.replace(b"<MsgInfo>", pad + b"<MsgInfo>", 1)


def _reply(body: bytes) -> tuple[str | None, list[str | None], str | None]:
    root = parse(body)
    return (
        attr(root, "Status"),
        [attr(e) for e in children(root, "Error")],
        text(child(root, "OriginalMsgId"), "Id"),
    )


def _dead(settings: HubSettings, sink: MemorySink) -> DeadLetterRecord:
    ((_key, value),) = sink.on(settings.topics.dlq)
    return codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(value)


def test_limits_agree() -> None:
    """The message limit fits a raw record; the producer allows the record plus framing; Kafka's default
    topic limit allows what the producer sends; HTTP reads oversized bodies far enough to answer them."""
    assert MAX_BYTES < MAX_RECORD_BYTES
    assert PRODUCER_MAX_MESSAGE_BYTES == MAX_RECORD_BYTES + RECORD_FRAMING_BYTES
    assert PRODUCER_MAX_MESSAGE_BYTES <= KAFKA_DEFAULT_MAX_MESSAGE_BYTES
    assert HTTP_MAX_BYTES > MAX_BYTES
    sink = KafkaSink({"bootstrap.servers": "127.0.0.1:1"})
    try:
        assert sink.max_message_bytes == PRODUCER_MAX_MESSAGE_BYTES
    finally:
        sink.close(timeout=0.1)


async def test_oversized_message_over_http_gets_permanent_avvist_and_dead_letter(
    settings: HubSettings,
) -> None:
    """Over the limit: 413 + Avvist T99 naming the message, a dead letter with the reason, nothing raw."""
    sink = MemorySink()
    payload = oversized()
    async with TestClient(TestServer(build_app(Ingestor(FORMAT, sink, settings)))) as client:
        response = await client.post(PATH, data=payload, headers={"Content-Type": "application/xml"})
        body = await response.read()
    assert response.status == 413
    status, errors, original = _reply(body)
    assert (status, errors, original) == ("2", ["T99"], MSG_ID)
    assert sink.on(settings.topics.raw_plo) == []
    dead = _dead(settings, sink)
    assert dead.code == "too_large"
    assert "larger than the limit" in dead.reason
    assert dead.message_id is None  # refused before it was read
    assert dead.payload_sha256 == Sealer.from_settings(settings.pseudonym).digest(payload)
    assert "too large to keep here" in dead.reason  # over a record's size: the hash identifies it
    assert Sealer.from_settings(settings.pseudonym).open_sealed(dead.sealed_payload, dead.key_id) == b""


async def test_drop_directory_refuses_oversized_file_and_goes_on(
    settings: HubSettings, tmp_path: Path
) -> None:
    """An oversized file goes to error/ with its reason and an Avvist AppRec; the next file is processed."""
    sink = MemorySink()
    drop = DropDirectory(Ingestor(FORMAT, sink, settings), tmp_path / "in", tmp_path / "out", 0.01)
    drop.prepare()
    (drop.inbox / "1-big.xml").write_bytes(oversized())
    (drop.inbox / "2-good.xml").write_bytes(sample(GOOD))
    assert await drop.poll_once() == 2
    assert (drop.error / "1-big.xml").exists()
    assert (drop.error / "1-big.xml.reason.txt").read_text().startswith("too_large:")
    assert _reply((drop.outbox / "1-big.apprec.xml").read_bytes())[:2] == ("2", ["T99"])
    assert (drop.done / "2-good.xml").exists()
    assert len(sink.on(settings.topics.raw_plo)) == 1
    assert _dead(settings, sink).code == "too_large"


async def test_record_over_the_limit_is_refused_not_retried(settings: HubSettings) -> None:
    """A message whose raw record would exceed the record limit is refused (too_large), never 'try again'."""
    sink = MemorySink()
    ingestor = Ingestor(FORMAT, sink, settings, max_record_bytes=len(sample(GOOD)) // 2)
    result = await ingestor.ingest(sample(GOOD))
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "too_large"
    assert sink.on(settings.topics.raw_plo) == []
    dead = _dead(settings, sink)
    assert dead.code == "too_large"
    assert "too large to keep here" in dead.reason  # the dead letter itself could not carry the original
    assert dead.payload_sha256 == Sealer.from_settings(settings.pseudonym).digest(sample(GOOD))


async def test_topic_refusing_the_record_is_permanent(settings: HubSettings) -> None:
    """When the sink (the topic) refuses the record as too large, the message is refused for good."""
    sink = MemorySink(max_record_bytes=len(sample(GOOD)) // 2)
    result = await Ingestor(FORMAT, sink, settings).ingest(sample(GOOD))
    assert result.error is not None
    assert result.error.code == "too_large"
    assert _dead(settings, sink).code == "too_large"
