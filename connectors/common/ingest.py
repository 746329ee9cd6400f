"""The one ingest step every connector uses: accept → raw topic (acknowledged) or reject → dead-letter topic.

Returns an :class:`IngestResult`; bad input is a result, not an exception. Only a Kafka failure raises
(:class:`DeliveryError`): then the sender must get a transient negative answer, never a positive one.

Re-sends: a message whose (system, message id) was accepted within the last ``dedupe_window`` messages is
not written again; the result is the first one (same ``received_at``, so the same answer). With
``refuse_reused_ids`` a *different* message under an id already used (neither its bytes nor its redacted form
equal the first's) is refused (code ``duplicate_id``) and dead-lettered instead of being re-acknowledged.
The window is in memory: after a restart a re-send is written again (its events keep their ids, so
downstream it overwrites).

Size: a message whose raw record would exceed ``MAX_RECORD_BYTES`` (or that the sink refuses as too large)
is refused for good (code ``too_large``) and dead-lettered; a dead letter too large to carry the sealed
original keeps only its hash and says so. Neither is ever answered "try again".

Parsing runs off the event loop: ``fmt.accept`` (parse, validate, map, redact) runs in a small thread pool
with a time bound (``parse_timeout_s``), so a costly message neither freezes the protocol server nor
``/healthz``; one that takes longer is refused (code ``timeout``) and dead-lettered. (A thread cannot be
stopped: the pool's size caps how many such parses can run at once; the formats' own limits — sizes, XSD
patterns on RE2 — keep each parse short.)

Person numbers: a connector accepts real person numbers only (a ``PSN1.`` token where a number belongs is
refused: only the normaliser reads tokens). Before any record is written its key and value are checked for an
11-digit number that passes the fødselsnummer/D-nummer rules (:func:`hub.identity.masking.check_record`): a
message whose id, or whose redacted copy, still holds one is refused (code ``person_number``) and
dead-lettered sealed; one left in the redacted copy (free text a format's redaction does not know) is
overwritten with asterisks. Dead-letter reasons are masked and their ``payload_sha256`` is keyed
(:meth:`Sealer.digest`).

Trace context: each raw record carries a W3C ``traceparent`` Kafka header (:mod:`connectors.common.trace`): a
child of the incoming HTTP request's header when it is valid, else a new trace (MLLP, files: one per message).
A sink whose ``send`` takes no ``headers`` (an older wrapper) gets the record without them.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import structlog

from connectors.common.sink import HeaderSink, RecordSink
from connectors.common.trace import record_trace
from connectors.formats import Accepted, MappingContext, MessageFormat, raw_record
from hub.errors import DeliveryError, InputError, RecordTooLarge, SerdeError, ValidationError
from hub.events.transport import MAX_RECORD_BYTES, DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.masking import (
    PersonNumberLeak,
    check_record,
    find_person_numbers,
    mask_digits,
    mask_person_numbers,
)
from hub.identity.sealing import Sealer, sha256_hex
from hub.observability.metrics import AckCode, HubMetrics
from hub.ops.traceparent import KafkaHeaders, kafka_headers
from hub.serde import TopicCodec, codec_for
from hub.settings import HubSettings

log = structlog.get_logger(__name__)
PARSE_TIMEOUT_S = 10.0
"""Longest a message may take to parse, validate, map and redact before it is refused."""


@dataclass(frozen=True, slots=True)
class _Seen:
    """An accepted message remembered for re-sends: its fingerprints and when it was received."""

    accepted: Accepted
    payload_sha256: str
    redacted_sha256: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class AckCodes:
    """What the protocol answers for accepted, rejected and transiently failed messages (for metrics)."""

    accepted: AckCode
    rejected: AckCode
    transient: AckCode


HTTP_ACKS = AckCodes(AckCode.HTTP_2XX, AckCode.HTTP_4XX, AckCode.HTTP_5XX)
HL7_ACKS = AckCodes(AckCode.HL7_AA, AckCode.HL7_AR, AckCode.HL7_AE)
APPREC_ACKS = AckCodes(AckCode.APPREC_OK, AckCode.APPREC_AVVIST, AckCode.HTTP_5XX)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Outcome of one ingest: accepted (written to the raw topic) or rejected (written to the DLQ)."""

    accepted: Accepted | None = None
    error: InputError | None = None
    duplicate: bool = False
    received_at: datetime | None = None
    """When the hub received the message (a re-send: the first time), so a re-send gets the same answer."""

    @property
    def ok(self) -> bool:
        """True when the message was accepted."""
        return self.accepted is not None


def raw_topic(settings: HubSettings, fmt: MessageFormat) -> str:
    """The raw topic of a format (``samhandling.raw.<name>`` by default)."""
    name = f"raw_{fmt.name}"
    topic = getattr(settings.topics, name, None)
    if not isinstance(topic, str):
        raise KeyError(f"no raw topic configured for format {fmt.name!r}")
    return topic


class Ingestor:
    """Accepts messages of one format for one connector."""

    def __init__(
        self,
        fmt: MessageFormat,
        sink: RecordSink,
        settings: HubSettings,
        *,
        clock: type[datetime] = datetime,
        dedupe_window: int = 10_000,
        metrics: HubMetrics | None = None,
        ack_codes: AckCodes = HTTP_ACKS,
        refuse_reused_ids: bool = False,
        max_record_bytes: int = MAX_RECORD_BYTES,
        parse_timeout_s: float = PARSE_TIMEOUT_S,
        parse_threads: int = 2,
        inline_parse_max_bytes: int = 0,
    ) -> None:
        self.metrics = metrics
        self.ack_codes = ack_codes
        self.fmt = fmt
        self.sink = sink
        self._sink_takes_headers = _takes_headers(sink)
        self.settings = settings
        self.topic = raw_topic(settings, fmt)
        self.pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym, accept_tokens=False)
        self.sealer = Sealer.from_settings(settings.pseudonym)
        self._raw_codec: TopicCodec[RawMessage] = codec_for(settings, RawMessage, self.topic)
        self._dlq_codec: TopicCodec[DeadLetterRecord] = codec_for(
            settings, DeadLetterRecord, settings.topics.dlq
        )
        self._clock = clock
        self._recent: OrderedDict[tuple[str, str], _Seen] = OrderedDict()
        self._in_flight: dict[tuple[str, str], asyncio.Event] = {}
        self._window = dedupe_window
        self.refuse_reused_ids = refuse_reused_ids
        self.max_record_bytes = max_record_bytes
        self.parse_timeout_s = parse_timeout_s
        self.inline_parse_max_bytes = inline_parse_max_bytes
        """Messages up to this size are parsed on the event loop, without the hand-over to a parse thread and
        back (about 0.3 ms of the ~2 ms per HL7 message measured here); for formats whose parse is linear in
        the size (HL7 v2), never for XML validated against schemas. 0: every message goes to the pool."""
        self._parse_pool = ThreadPoolExecutor(
            max_workers=parse_threads, thread_name_prefix=f"{fmt.name}-parse"
        )

    def close(self) -> None:
        """Release the parse threads (a parse still running finishes on its own)."""
        self._parse_pool.shutdown(wait=False, cancel_futures=True)

    async def _accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """``fmt.accept`` in the parse pool, bounded by ``parse_timeout_s`` (inline when small enough)."""
        if len(payload) <= self.inline_parse_max_bytes:
            return self.fmt.accept(payload, ctx)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._parse_pool, self.fmt.accept, payload, ctx)
        try:
            return await asyncio.wait_for(future, self.parse_timeout_s)
        except TimeoutError as exc:
            raise InputError(
                f"the message took longer than {self.parse_timeout_s:g} s to parse and validate",
                code="timeout",
            ) from exc

    def _now(self) -> datetime:
        return self._clock.now(UTC)

    async def ingest(
        self, payload: bytes, *, system: str | None = None, traceparent: str | bytes | None = None
    ) -> IngestResult:
        """Accept ``payload`` (raw topic) or reject it (DLQ); raise DeliveryError if Kafka fails.

        ``traceparent``: the sender's W3C trace parent; by default the current HTTP request's header
        (:mod:`connectors.common.trace`). The raw record's ``traceparent`` header continues it, or starts a
        new trace when it is absent or invalid."""
        started = time.perf_counter()
        source = self.fmt.source_kind
        if self.metrics is not None:
            self.metrics.connector_message_received(source)
        try:
            result = await self._ingest(payload, system, kafka_headers(record_trace(traceparent)))
        except DeliveryError:
            if self.metrics is not None:
                self.metrics.connector_message_nacked(source, self.ack_codes.transient)
            raise
        if self.metrics is not None:
            if result.ok:
                self.metrics.connector_message_acked(source, self.ack_codes.accepted)
            else:
                self.metrics.connector_message_nacked(source, self.ack_codes.rejected)
                self.metrics.dead_lettered(source, result.error.code if result.error else "invalid")
            self.metrics.observe_ingest(source, time.perf_counter() - started)
        return result

    async def _ingest(self, payload: bytes, system: str | None, headers: KafkaHeaders) -> IngestResult:
        received_at = self._now()
        ctx = MappingContext(pseudonymiser=self.pseudonymiser, received_at=received_at, system=system)
        try:
            accepted = await self._accept(payload, ctx)
        except InputError as exc:
            await self.dead_letter(payload, exc, received_at=received_at, stage="connector")
            return IngestResult(error=exc, received_at=received_at)
        leak = _identifier_leak(accepted)
        if leak is not None:
            await self.dead_letter(payload, leak, received_at=received_at, stage="connector")
            return IngestResult(error=leak, received_at=received_at)
        seen_key = (accepted.system, accepted.message_id)
        while (pending := self._in_flight.get(seen_key)) is not None:  # the same id being written right now
            await pending.wait()
        seen = self._recent.get(seen_key)
        if seen is not None:
            return await self._resent(payload, accepted, seen, seen_key, received_at)
        done = self._in_flight[seen_key] = asyncio.Event()
        try:
            return await self._write(payload, accepted, seen_key, received_at, headers)
        finally:
            del self._in_flight[seen_key]
            done.set()

    async def _resent(
        self, payload: bytes, accepted: Accepted, seen: _Seen, key: tuple[str, str], received_at: datetime
    ) -> IngestResult:
        same = (
            sha256_hex(payload) == seen.payload_sha256
            or sha256_hex(accepted.redacted) == seen.redacted_sha256
        )
        if same or not self.refuse_reused_ids:
            self._recent.move_to_end(key)
            log.info(
                "duplicate message re-acknowledged", format=self.fmt.name, message_id=accepted.message_id
            )
            return IngestResult(accepted=seen.accepted, duplicate=True, received_at=seen.received_at)
        first = seen.received_at.isoformat(timespec="seconds")
        error = ValidationError(
            f"message id {accepted.message_id!r} was already used by a different message from "
            f"{accepted.system} (received {first}); a new message needs a new id",
            code="duplicate_id",
            location="message id",
        )
        await self.dead_letter(
            payload, error, received_at=received_at, stage="connector", message_id=accepted.message_id
        )
        return IngestResult(error=error, received_at=received_at)

    async def _write(
        self,
        payload: bytes,
        accepted: Accepted,
        seen_key: tuple[str, str],
        received_at: datetime,
        headers: KafkaHeaders,
    ) -> IngestResult:
        redacted, leaked = mask_person_numbers(accepted.redacted)
        if leaked:  # e.g. a number in free text the format's redaction does not know: never to the topic
            log.warning("person numbers masked in the redacted copy", format=self.fmt.name, count=leaked)
        record = raw_record(self.fmt, accepted, received_at=received_at, payload=redacted)
        try:
            value = self._raw_codec.encode(record)
        except SerdeError as exc:  # e.g. the schema registry is unreachable: transient, never a positive ack
            raise DeliveryError(f"cannot encode the raw record: {exc}") from exc
        key = accepted.message_id.encode()
        size = len(key) + len(value)
        if size > self.max_record_bytes:
            return await self._too_large(payload, accepted.message_id, received_at, size)
        try:
            check_record(self.topic, key, value)
        except PersonNumberLeak as exc:
            error = ValidationError(f"{exc} (not redacted)", code="person_number")
            await self.dead_letter(payload, error, received_at=received_at)
            return IngestResult(error=error, received_at=received_at)
        try:
            if self._sink_takes_headers:
                await cast(HeaderSink, self.sink).send(self.topic, key, value, headers=headers)
            else:
                await self.sink.send(self.topic, key, value)
        except RecordTooLarge:
            return await self._too_large(payload, accepted.message_id, received_at, size)
        self._recent[seen_key] = _Seen(
            accepted, sha256_hex(payload), sha256_hex(accepted.redacted), received_at
        )
        if len(self._recent) > self._window:
            self._recent.popitem(last=False)
        log.info(
            "message accepted",
            format=self.fmt.name,
            message_id=accepted.message_id,
            events=len(accepted.events),
            topic=self.topic,
        )
        return IngestResult(accepted=accepted, received_at=received_at)

    async def _too_large(
        self, payload: bytes, message_id: str, received_at: datetime, size: int
    ) -> IngestResult:
        error = InputError(
            f"message too large: its raw record is {size} bytes, the limit is {self.max_record_bytes} bytes "
            f"(the message itself is {len(payload)} bytes)",
            code="too_large",
        )
        await self.dead_letter(payload, error, received_at=received_at, message_id=message_id)
        return IngestResult(error=error, received_at=received_at)

    async def dead_letter(
        self,
        payload: bytes,
        error: InputError,
        *,
        received_at: datetime | None = None,
        stage: str = "connector",
        message_id: str | None = None,
    ) -> DeadLetterRecord:
        """Write ``payload`` (sealed) with the (masked) reason to the dead-letter topic."""
        if message_id is not None and find_person_numbers(message_id):
            message_id = None
        record = DeadLetterRecord(
            source=self.fmt.name,
            stage=stage,
            code=error.code,
            reason=mask_digits(error.reason),
            received_at=received_at or self._now(),
            message_id=message_id,
            payload_sha256=self.sealer.digest(payload),
            sealed_payload=self.sealer.seal(payload),
            key_id=self.sealer.active_key_id,
        )
        key = (message_id or record.payload_sha256).encode()
        value = self._encode_dead_letter(record)
        if len(key) + len(value) <= self.max_record_bytes:
            try:
                await self.sink.send(self.settings.topics.dlq, key, value)
            except RecordTooLarge:
                value = b""
        else:
            value = b""
        if not value:  # keep the reason and the hash; the original bytes do not fit in a record
            reason = f"{record.reason}; the original ({len(payload)} bytes) is too large to keep here"
            record = record.model_copy(update={"sealed_payload": self.sealer.seal(b""), "reason": reason})
            await self.sink.send(self.settings.topics.dlq, key, self._encode_dead_letter(record))
        log.warning(
            "message dead-lettered", format=self.fmt.name, code=error.code, reason=record.reason, stage=stage
        )
        return record

    def _encode_dead_letter(self, record: DeadLetterRecord) -> bytes:
        try:
            return self._dlq_codec.encode(record)
        except SerdeError as exc:
            raise DeliveryError(f"cannot encode the dead letter: {exc}") from exc


def _takes_headers(sink: RecordSink) -> bool:
    """Whether ``sink.send`` takes ``headers`` (sinks written before trace headers do not)."""
    try:
        parameters = inspect.signature(sink.send).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "headers" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _identifier_leak(accepted: Accepted) -> ValidationError | None:
    """A refusal when an identifier that becomes a record key or field (message id, system, sender,
    receiver) holds a person number."""
    for name in ("message_id", "system", "sender", "receiver"):
        value = getattr(accepted, name, None)
        if isinstance(value, str) and find_person_numbers(value):
            return ValidationError(
                f"the {name.replace('_', ' ')} holds a person number; it would become a Kafka key or field",
                code="person_number",
                location=name,
            )
    return None
