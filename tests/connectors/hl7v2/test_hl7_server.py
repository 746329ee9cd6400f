"""The MLLP server over a real TCP socket, with the real Ingestor and an in-memory sink."""

from __future__ import annotations

import asyncio

import hl7
import pytest

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.mllp import FrameDecoder, frame
from connectors.hl7v2.server import MllpServer
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.hl7v2.hl7_samples import FNR, adt


class GatedSink(MemorySink):
    """A memory sink whose writes wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Wait for the gate, then record the write."""
        await self.gate.wait()
        await super().send(topic, key, value)


async def _start(settings: HubSettings, sink: MemorySink, **kwargs: int) -> MllpServer:
    server = MllpServer(Ingestor(FORMAT, sink, settings), host="127.0.0.1", port=0, **kwargs)
    await server.start()
    return server


@pytest.fixture
def sink() -> MemorySink:
    """A fresh in-memory sink."""
    return MemorySink()


class Client:
    """A minimal MLLP client that reads framed ACKs."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = FrameDecoder()
        self.acks: list[bytes] = []

    @classmethod
    async def connect(cls, port: int) -> Client:
        """Open a connection to the server."""
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send_raw(self, data: bytes) -> None:
        """Write bytes as they are."""
        self.writer.write(data)
        await self.writer.drain()

    async def ack(self, wait: float = 5.0) -> hl7.Message:
        """The next ACK, parsed (waiting at most ``wait`` seconds per read)."""
        while not self.acks:
            data = await asyncio.wait_for(self.reader.read(65536), wait)
            assert data, "server closed the connection"
            self.acks += [f.payload for f in self.decoder.feed(data)]
        return hl7.parse(self.acks.pop(0).decode())

    async def close(self) -> None:
        """Close the connection."""
        self.writer.close()
        await self.writer.wait_closed()


def _msa(ack: hl7.Message) -> tuple[str, str]:
    return str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2])


async def test_aa_only_after_the_sink_confirmed(settings: HubSettings) -> None:
    """The server sends no ACK while the raw write is pending, and AA once the sink confirmed it."""
    gated = GatedSink()
    server = await _start(settings, gated)
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(adt(control_id="GATE-1")))
        with pytest.raises(TimeoutError):
            await client.ack(wait=0.3)
        assert gated.records == []
        gated.gate.set()
        assert _msa(await client.ack()) == ("AA", "GATE-1")
        assert len(gated.on(settings.topics.raw_hl7v2)) == 1
    finally:
        await client.close()
        await server.close()


async def test_raw_record_is_redacted_and_keyed_by_control_id(
    settings: HubSettings, sink: MemorySink
) -> None:
    """The raw record is keyed by MSH-10 and its payload holds the token, not the person number."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(adt(control_id="RAW-1")))
        assert _msa(await client.ack()) == ("AA", "RAW-1")
    finally:
        await client.close()
        await server.close()
    ((key, value),) = sink.on(settings.topics.raw_hl7v2)
    raw = codec_for(settings, RawMessage, settings.topics.raw_hl7v2).decode(value)
    assert key == b"RAW-1"
    assert (raw.format, raw.content_type) == ("hl7v2", "x-application/hl7-v2+er7")
    assert FNR.encode() not in raw.payload


async def test_failing_sink_gives_ae_not_aa(settings: HubSettings) -> None:
    """When Kafka does not confirm, the sender gets AE with ERR code 207, never AA."""
    server = await _start(settings, MemorySink(fail_with="broker down"))
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(adt(control_id="FAIL-1")))
        ack = await client.ack()
        assert _msa(ack) == ("AE", "FAIL-1")
        assert str(ack.segment("ERR")[3]).startswith("207^")
    finally:
        await client.close()
        await server.close()


async def test_bad_message_gets_ar_and_a_dead_letter(settings: HubSettings, sink: MemorySink) -> None:
    """A message without a visit number gets AR naming PV1-19, and a sealed dead letter with the reason."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(adt(control_id="BAD-1", pv1_19="")))
        ack = await client.ack()
        assert _msa(ack) == ("AR", "BAD-1")
        assert str(ack.segment("ERR")[2]) == "PV1^1^19"
        assert str(ack.segment("ERR")[3]).startswith("101^")
    finally:
        await client.close()
        await server.close()
    assert sink.on(settings.topics.raw_hl7v2) == []
    ((_, value),) = sink.on(settings.topics.dlq)
    dead = codec_for(settings, DeadLetterRecord, settings.topics.dlq).decode(value)
    assert (dead.source, dead.code) == ("hl7v2", "required")
    assert "PV1-19" in dead.reason
    assert FNR.encode() not in dead.sealed_payload


async def test_repeated_control_id_is_reacked_without_rewriting(
    settings: HubSettings, sink: MemorySink
) -> None:
    """The same MSH-10 from the same sender twice gives AA twice but only one raw write."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    try:
        for _ in range(2):
            await client.send_raw(frame(adt(control_id="DUP-1")))
            assert _msa(await client.ack()) == ("AA", "DUP-1")
    finally:
        await client.close()
        await server.close()
    assert len(sink.on(settings.topics.raw_hl7v2)) == 1


async def test_several_messages_in_one_packet_are_acked_in_order(
    settings: HubSettings, sink: MemorySink
) -> None:
    """Three framed messages sent in one write get three ACKs in order, split reads included."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    try:
        data = b"".join(frame(adt(control_id=f"MULTI-{i}")) for i in range(3))
        await client.send_raw(data[:7])
        await asyncio.sleep(0.05)
        await client.send_raw(data[7:])
        assert [_msa(await client.ack()) for _ in range(3)] == [("AA", f"MULTI-{i}") for i in range(3)]
    finally:
        await client.close()
        await server.close()
    assert [k for k, _ in sink.on(settings.topics.raw_hl7v2)] == [f"MULTI-{i}".encode() for i in range(3)]


async def test_oversize_message_is_rejected_without_writing(settings: HubSettings, sink: MemorySink) -> None:
    """A frame above max_size gets AR with its MSH-10 and nothing is written."""
    server = await _start(settings, sink, max_size=300)
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(adt(control_id="BIG-1") + b"ZXX|" + b"x" * 5000))
        ack = await client.ack()
        assert _msa(ack) == ("AR", "BIG-1")
        assert "larger than 300" in str(ack.segment("ERR")[8])
    finally:
        await client.close()
        await server.close()
    assert sink.records == []


async def test_garbage_frame_gets_ar_with_empty_msa2(settings: HubSettings, sink: MemorySink) -> None:
    """A frame that is not HL7 gets AR with an empty MSA-2 and goes to the dead-letter topic."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    try:
        await client.send_raw(frame(b"hello world"))
        assert _msa(await client.ack()) == ("AR", "")
    finally:
        await client.close()
        await server.close()
    assert len(sink.on(settings.topics.dlq)) == 1


async def test_close_ends_open_connections(settings: HubSettings, sink: MemorySink) -> None:
    """Closing the server ends idle client connections (the client sees EOF)."""
    server = await _start(settings, sink)
    client = await Client.connect(server.bound_port)
    await server.close()
    assert await asyncio.wait_for(client.reader.read(10), 5) == b""
    await client.close()
