"""Transports to the connectors: an MLLP client that waits for each ACK, and an HTTP client.

Each send gives an :class:`Answer`: positive, negative (the connector rejected the message: logged and
counted, never silently dropped) or transient (connection failure, HL7 AE, HTTP 5xx) — transient answers
are retried with exponential backoff by :func:`deliver` until ``RetryPolicy.attempts`` is used up.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Protocol as TypingProtocol

import httpx
import structlog

from hub.simulate.message import Outgoing, Protocol
from hub.simulate.stats import Outcome

log = structlog.get_logger(__name__)
VT, END = b"\x0b", b"\x1c\r"


@dataclass(frozen=True, slots=True)
class Answer:
    """A connector's answer: outcome (ACKED / REJECTED) or transient (retry), with a short detail."""

    outcome: Outcome | None
    detail: str = ""
    short: bool = False
    """Acknowledged, but the connector reported fewer events than intended (KPR: a time after its clock)."""

    @property
    def transient(self) -> bool:
        """True when the message should be sent again."""
        return self.outcome is None


class Sender(TypingProtocol):
    """Sends one message and reports the connector's answer."""

    async def send(self, message: Outgoing) -> Answer:
        """Send ``message``; transport errors are a transient answer, not an exception."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently transient failures are retried."""

    attempts: int = 6
    first_backoff: float = 0.2
    max_backoff: float = 5.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """The final outcome of one message, its retries, and whether it mapped to fewer events than intended."""

    outcome: Outcome
    retries: int = 0
    short: bool = False


async def deliver(sender: Sender, message: Outgoing, policy: RetryPolicy) -> Delivery:
    """Send with retries until a positive or negative answer, or until the attempts are used up."""
    backoff = policy.first_backoff
    answer = Answer(None, "not sent")
    for attempt in range(policy.attempts):
        answer = await sender.send(message)
        if not answer.transient:
            if answer.outcome is Outcome.REJECTED:
                log.warning(
                    "simulated message rejected",
                    protocol=message.protocol.value,
                    kind=message.kind,
                    message_id=message.message_id,
                    detail=answer.detail[:300],
                )
            if answer.short:
                log.warning(
                    "connector mapped fewer events than intended",
                    protocol=message.protocol.value,
                    kind=message.kind,
                    message_id=message.message_id,
                    detail=answer.detail,
                )
            assert answer.outcome is not None  # noqa: S101 - not transient means an outcome
            return Delivery(answer.outcome, attempt, answer.short)
        log.info(
            "transient failure; retrying",
            protocol=message.protocol.value,
            message_id=message.message_id,
            detail=answer.detail[:200],
            backoff=backoff,
        )
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, policy.max_backoff)
    log.error(
        "simulated message not delivered",
        protocol=message.protocol.value,
        kind=message.kind,
        message_id=message.message_id,
        detail=answer.detail[:200],
    )
    return Delivery(Outcome.FAILED, policy.attempts - 1)


def msa_code(ack: bytes) -> tuple[str, str]:
    """(MSA-1, ERR/MSA text) of an HL7 ACK."""
    code, text = "", ""
    for segment in ack.replace(b"\n", b"\r").split(b"\r"):
        fields = segment.decode("utf-8", "replace").split("|")
        if fields[0] == "MSA" and len(fields) > 1:
            code = fields[1]
            text = fields[3] if len(fields) > 3 else text
        elif fields[0] == "ERR":
            text = "|".join(fields[1:])[:300]
    return code, text


class MllpSender:
    """HL7 v2 over MLLP: one connection, one message at a time, waits for its ACK (reconnects on failure)."""

    def __init__(self, host: str, port: int, *, timeout: float = 10.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, message: Outgoing) -> Answer:
        """Send one framed message and read its ACK."""
        try:
            if self._writer is None:
                self._reader, self._writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout
                )
            reader, writer = self._reader, self._writer
            assert reader is not None  # noqa: S101 - set together with the writer
            assert writer is not None  # noqa: S101 - just connected
            writer.write(VT + message.payload + END)
            await writer.drain()
            ack = await asyncio.wait_for(reader.readuntil(END), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            await self.close()
            return Answer(None, f"{type(exc).__name__}: {exc}")
        code, text = msa_code(ack.strip(VT + END))
        if code in ("AA", "CA"):
            return Answer(Outcome.ACKED)
        if code in ("AR", "CR"):
            return Answer(Outcome.REJECTED, f"{code} {text}")
        return Answer(None, f"{code or 'no MSA'} {text}")

    async def close(self) -> None:
        """Close the connection."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


CONTENT_TYPE: dict[Protocol, str] = {
    Protocol.PLO: "application/xml",
    Protocol.AMBULANCE: "application/json",
    Protocol.KPR: "text/csv",
}


def _short(message: Outgoing, response: httpx.Response) -> bool:
    """True when a KPR answer counts fewer events than the message should map to.

    The KPR connector treats a start or end later than its own clock as a plan and maps no event for it, so a
    simulation whose simulated time runs ahead of the wall clock (``--start`` now, ``--speed`` > 1) loses
    its KPR events; this makes that visible.
    """
    if message.protocol is not Protocol.KPR:
        return False
    try:
        events = response.json().get("events")
    except ValueError:
        return False
    return isinstance(events, int) and events < len(message.expected)


class HttpSender:
    """POSTs each message to its connector's endpoint: 2xx positive, 4xx negative, 5xx / errors transient."""

    def __init__(self, urls: dict[Protocol, str], *, timeout: float = 10.0) -> None:
        self.urls = urls
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, message: Outgoing) -> Answer:
        """POST ``message`` to the URL of its protocol."""
        try:
            response = await self._client.post(
                self.urls[message.protocol],
                content=message.payload,
                headers={"Content-Type": CONTENT_TYPE[message.protocol]},
            )
        except httpx.TransportError as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return Answer(Outcome.ACKED, short=_short(message, response))
        if response.status_code >= 500 or response.status_code == 429:
            return Answer(None, f"HTTP {response.status_code}")
        return Answer(Outcome.REJECTED, f"HTTP {response.status_code} {response.text[:300]}")

    async def close(self) -> None:
        """Close the client."""
        await self._client.aclose()
