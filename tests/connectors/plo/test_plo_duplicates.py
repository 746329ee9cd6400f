"""Re-sends and reused MsgIds: the same message twice is written once and answered alike; a different message
under a used MsgId is refused (AppRec E10) and dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.plo import server
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, DropDirectory, build_app
from connectors.plo.xmlsafe import attr, children, parse
from hub.events.transport import DeadLetterRecord
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.plo.conftest import sample

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
MSG_ID = "79c55ed0-0692-11e8-b566-0800200c9a66"


@pytest.fixture(autouse=True)
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's wall clock advances a minute per call, so replies dated 'now' would differ."""
    ticks = iter(range(10_000))
    start = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)
    monkeypatch.setattr(server, "_now", lambda: start + timedelta(minutes=next(ticks)))


def _ingestor(settings: HubSettings, sink: MemorySink) -> Ingestor:
    return Ingestor(FORMAT, sink, settings, refuse_reused_ids=True)


async def _post_all(settings: HubSettings, sink: MemorySink, *bodies: bytes) -> list[tuple[int, bytes]]:
    app = build_app(_ingestor(settings, sink))
    out = []
    async with TestClient(TestServer(app)) as client:
        for body in bodies:
            response = await client.post(PATH, data=body, headers={"Content-Type": "application/xml"})
            out.append((response.status, await response.read()))
    return out


def _status(reply: bytes) -> tuple[str | None, list[str | None]]:
    root = parse(reply)
    return attr(root, "Status"), [attr(e) for e in children(root, "Error")]


def _changed() -> bytes:
    """A different, valid message that reuses the MsgId of GOOD (another utskrivningsklar time)."""
    payload = sample(GOOD)
    changed = payload.replace(b"2018-01-31T10:20:11", b"2018-01-31T11:20:11")
    assert changed != payload
    return changed


async def test_same_message_twice_is_written_once_with_the_same_apprec(settings: HubSettings) -> None:
    """A re-send of the same message gets a byte-identical AppRec OK and is not written again."""
    sink = MemorySink()
    (first, second) = await _post_all(settings, sink, sample(GOOD), sample(GOOD))
    assert first[0] == second[0] == 200
    assert _status(first[1]) == ("1", [])
    assert second[1] == first[1]
    assert len(sink.on(settings.topics.raw_plo)) == 1
    assert sink.on(settings.topics.dlq) == []


async def test_reserialised_same_message_is_a_resend(settings: HubSettings) -> None:
    """The same document with other attribute quoting (same redacted form) is a re-send, not a new message."""
    requoted = sample(GOOD).replace(b'V="N"', b"V='N'")
    assert requoted != sample(GOOD)
    sink = MemorySink()
    (first, second) = await _post_all(settings, sink, sample(GOOD), requoted)
    assert second == first
    assert len(sink.on(settings.topics.raw_plo)) == 1


async def test_different_message_reusing_a_msgid_is_refused(settings: HubSettings) -> None:
    """Another message under a used MsgId gets 422 + Avvist E10 and a dead letter naming the id and reason."""
    sink = MemorySink()
    (first, second) = await _post_all(settings, sink, sample(GOOD), _changed())
    assert first[0] == 200
    assert second[0] == 422
    assert _status(second[1]) == ("2", ["E10"])
    assert len(sink.on(settings.topics.raw_plo)) == 1
    ((key, value),) = sink.on(settings.topics.dlq)
    dead = codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(value)
    assert key == MSG_ID.encode()
    assert dead.code == "duplicate_id"
    assert dead.message_id == MSG_ID
    assert "already used by a different message" in dead.reason


async def test_same_msgid_from_another_sender_is_a_new_message(settings: HubSettings) -> None:
    """MsgIds are unique per sender: the same id from another HER-id is accepted as a new message."""
    other = _changed().replace(b"<Id>59</Id>", b"<Id>60</Id>")
    sink = MemorySink()
    (first, second) = await _post_all(settings, sink, sample(GOOD), other)
    assert (first[0], second[0]) == (200, 200)
    assert len(sink.on(settings.topics.raw_plo)) == 2


async def test_drop_directory_resend_and_reuse(settings: HubSettings, tmp_path: Path) -> None:
    """In the drop directory a re-sent file is done with the same AppRec; a reused MsgId goes to error/."""
    sink = MemorySink()
    drop = DropDirectory(_ingestor(settings, sink), tmp_path / "in", tmp_path / "out", 0.01)
    drop.prepare()
    for name, payload in (("a.xml", sample(GOOD)), ("b.xml", sample(GOOD)), ("c.xml", _changed())):
        (drop.inbox / name).write_bytes(payload)
        assert await drop.poll_once() == 1
    assert (drop.done / "a.xml").exists()
    assert (drop.done / "b.xml").exists()
    assert (drop.outbox / "a.apprec.xml").read_bytes() == (drop.outbox / "b.apprec.xml").read_bytes()
    assert (drop.error / "c.xml").exists()
    assert (drop.error / "c.xml.reason.txt").read_text().startswith("duplicate_id:")
    assert _status((drop.outbox / "c.apprec.xml").read_bytes()) == ("2", ["E10"])
    assert len(sink.on(settings.topics.raw_plo)) == 1
    assert len(sink.on(settings.topics.dlq)) == 1
