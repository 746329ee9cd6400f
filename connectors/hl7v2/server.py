"""The MLLP listener: asyncio TCP server that ingests each framed ADT message and answers with an ACK.

Per connection, messages are handled in order (an HL7 sender waits for the ACK before the next message; if
it pipelines several in one packet they are answered in order). AA is sent only after
:meth:`Ingestor.ingest` returned an accepted result, i.e. after the broker acknowledged the raw write.
A repeated MSH-10 from the same sender (MSH-3 + MSH-4) within the last ``recent`` accepted messages is
re-acknowledged AA without parsing or writing again; the Ingestor and the normaliser dedupe by message id and
event id behind that as well.

Limits: at most ``max_connections`` open connections (more are closed at once); a connection with no block
under way is closed after ``idle_timeout_s`` of silence; a block must arrive whole within ``read_timeout_s``
of its start (a sender trickling bytes cannot hold a connection); a block over ``max_size`` is answered AR.
With an ``ssl_context`` (``HUB_TLS__*``) MLLP runs over TLS; with a client CA the sender must present a
certificate it signed (mutual TLS).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog

from connectors.common.ingest import IngestResult
from connectors.hl7v2.ack import INTERNAL_ERROR, AckError, build_ack, error_for
from connectors.hl7v2.mllp import DEFAULT_MAX_SIZE, Frame, FrameDecoder, frame
from connectors.hl7v2.parse import Header, peek_header
from hub.errors import DeliveryError

log = structlog.get_logger(__name__)
READ_SIZE = 64 * 1024
MAX_CONNECTIONS = 64
IDLE_TIMEOUT_S = 300.0
READ_TIMEOUT_S = 30.0


class IngestPort(Protocol):
    """What the server needs from the ingest pipeline (:class:`connectors.common.ingest.Ingestor`)."""

    async def ingest(self, payload: bytes, *, system: str | None = None) -> IngestResult:
        """Accept (raw topic) or reject (DLQ) one message; raise DeliveryError if Kafka fails."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MllpServer:
    """HL7 v2 over MLLP: frames in, ACKs out, Kafka in between."""

    def __init__(
        self,
        ingestor: IngestPort,
        *,
        host: str = "127.0.0.1",
        port: int = 2575,
        max_size: int = DEFAULT_MAX_SIZE,
        recent: int = 10_000,
        clock: Callable[[], datetime] = _utc_now,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout_s: float = IDLE_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.ingestor = ingestor
        self.max_connections = max_connections
        self.idle_timeout_s = idle_timeout_s
        self.read_timeout_s = read_timeout_s
        self.ssl_context = ssl_context
        self.refused_connections = 0
        self.host = host
        self.port = port
        self.max_size = max_size
        self._clock = clock
        self._recent: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._recent_size = recent
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def bound_port(self) -> int:
        """The port actually listened on (useful with ``port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(
            self._on_connect,
            self.host,
            self.port,
            limit=READ_SIZE,
            ssl=self.ssl_context,
            ssl_handshake_timeout=self.read_timeout_s if self.ssl_context else None,
        )
        log.info(
            "mllp listening",
            host=self.host,
            port=self.bound_port,
            max_size=self.max_size,
            tls=self.ssl_context is not None,
            max_connections=self.max_connections,
        )

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None  # noqa: S101 - narrowing for mypy; start() sets it
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop accepting, end open connections and wait for them."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101 - always inside a task in a stream callback
        peer = writer.get_extra_info("peername")
        if len(self._connections) >= self.max_connections:
            self.refused_connections += 1
            log.warning("mllp connection refused: too many connections", limit=self.max_connections)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()
            return
        self._connections.add(task)
        log.info("mllp connection opened", peer=str(peer))
        decoder = FrameDecoder(self.max_size)
        frame_deadline: float | None = None
        try:
            while True:
                if decoder.in_frame:
                    frame_deadline = frame_deadline or time.monotonic() + self.read_timeout_s
                    wait = frame_deadline - time.monotonic()
                else:
                    frame_deadline, wait = None, self.idle_timeout_s
                try:
                    data = await asyncio.wait_for(reader.read(READ_SIZE), max(wait, 0.0))
                except TimeoutError:
                    log.info(
                        "mllp connection timed out",
                        peer=str(peer),
                        during="a block" if decoder.in_frame else "idle",
                    )
                    break
                if not data:
                    break
                for block in decoder.feed(data):
                    writer.write(frame(await self.handle(block)))
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            log.info("mllp connection lost", peer=str(peer), error=type(exc).__name__)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError, ssl.SSLError):
                await writer.wait_closed()
            log.info("mllp connection closed", peer=str(peer), noise_bytes=decoder.discarded)

    async def handle(self, block: Frame) -> bytes:
        """Ingest one framed message and return its ACK (unframed)."""
        header = peek_header(block.payload)
        now = self._clock()
        if block.truncated:
            log.warning("mllp message too large", max_size=self.max_size, control_id=_cid(header))
            message = f"message larger than {self.max_size} bytes"
            return build_ack(header, "AR", error=AckError(*INTERNAL_ERROR, message), now=now)
        key = (header.sender_key, header.control_id) if header and header.control_id else None
        if key is not None and key in self._recent:
            self._recent.move_to_end(key)
            log.info("mllp duplicate re-acknowledged", control_id=_cid(header))
            return build_ack(header, "AA", now=now)
        code, error = await self._ingest(block.payload, header)
        if code == "AA" and key is not None:
            self._remember(key)
        return build_ack(header, code, error=error, now=now)

    async def _ingest(self, payload: bytes, header: Header | None) -> tuple[str, AckError | None]:
        """Ingest and decide the acknowledgement code and error."""
        try:
            result = await self.ingestor.ingest(payload)
        except DeliveryError as exc:
            log.warning("mllp delivery failed; answering AE", control_id=_cid(header), error=str(exc))
            return "AE", AckError(*INTERNAL_ERROR, "temporary failure storing the message; resend it")
        except Exception:
            log.exception("mllp ingest crashed; answering AE", control_id=_cid(header))
            return "AE", AckError(*INTERNAL_ERROR, "internal error; resend later")
        if result.accepted is not None:
            return "AA", None
        if result.error is not None:
            return "AR", error_for(result.error)
        return "AE", AckError(*INTERNAL_ERROR, "message neither accepted nor rejected")

    def _remember(self, key: tuple[str, str]) -> None:
        self._recent[key] = None
        if len(self._recent) > self._recent_size:
            self._recent.popitem(last=False)


def _cid(header: Header | None) -> str | None:
    return header.control_id[:64] if header else None
