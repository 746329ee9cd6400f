"""The one ingest step every connector uses: accept → raw topic (acknowledged) or reject → dead-letter topic.

Returns an :class:`IngestResult`; bad input is a result, not an exception. Only a Kafka failure raises
(:class:`DeliveryError`): then the sender must get a transient negative answer, never a positive one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from connectors.common.sink import RecordSink
from connectors.formats import Accepted, MappingContext, MessageFormat
from hub.errors import DeliveryError, InputError, SerdeError
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.sealing import Sealer, sha256_hex
from hub.observability.metrics import AckCode, HubMetrics
from hub.serde import TopicCodec, codec_for
from hub.settings import HubSettings

log = structlog.get_logger(__name__)


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
    ) -> None:
        self.metrics = metrics
        self.ack_codes = ack_codes
        self.fmt = fmt
        self.sink = sink
        self.settings = settings
        self.topic = raw_topic(settings, fmt)
        self.pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym)
        self.sealer = Sealer.from_settings(settings.pseudonym)
        self._raw_codec: TopicCodec[RawMessage] = codec_for(settings, RawMessage, self.topic)
        self._dlq_codec: TopicCodec[DeadLetterRecord] = codec_for(
            settings, DeadLetterRecord, settings.topics.dlq
        )
        self._clock = clock
        self._recent: OrderedDict[tuple[str, str], Accepted] = OrderedDict()
        self._window = dedupe_window

    def _now(self) -> datetime:
        return self._clock.now(UTC)

    async def ingest(self, payload: bytes, *, system: str | None = None) -> IngestResult:
        """Accept ``payload`` (raw topic) or reject it (DLQ); raise DeliveryError if Kafka fails."""
        started = time.perf_counter()
        source = self.fmt.source_kind
        if self.metrics is not None:
            self.metrics.connector_message_received(source)
        try:
            result = await self._ingest(payload, system)
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

    async def _ingest(self, payload: bytes, system: str | None) -> IngestResult:
        received_at = self._now()
        ctx = MappingContext(pseudonymiser=self.pseudonymiser, received_at=received_at, system=system)
        try:
            accepted = self.fmt.accept(payload, ctx)
        except InputError as exc:
            await self.dead_letter(payload, exc, received_at=received_at, stage="connector")
            return IngestResult(error=exc)
        seen_key = (accepted.system, accepted.message_id)
        if seen_key in self._recent:
            self._recent.move_to_end(seen_key)
            log.info(
                "duplicate message re-acknowledged", format=self.fmt.name, message_id=accepted.message_id
            )
            return IngestResult(accepted=self._recent[seen_key], duplicate=True)
        record = RawMessage(
            format=self.fmt.name,
            source_kind=self.fmt.source_kind,
            system=accepted.system,
            message_id=accepted.message_id,
            received_at=received_at,
            content_type=accepted.content_type or self.fmt.content_type,
            payload=accepted.redacted,
            sender=accepted.sender,
            receiver=accepted.receiver,
            message_type=accepted.message_type,
            standard=accepted.standard,
            event_types=[e.event_type.value for e in accepted.events],
            unmapped=accepted.unmapped,
        )
        try:
            value = self._raw_codec.encode(record)
        except SerdeError as exc:  # e.g. the schema registry is unreachable: transient, never a positive ack
            raise DeliveryError(f"cannot encode the raw record: {exc}") from exc
        await self.sink.send(self.topic, accepted.message_id.encode(), value)
        self._recent[seen_key] = accepted
        if len(self._recent) > self._window:
            self._recent.popitem(last=False)
        log.info(
            "message accepted",
            format=self.fmt.name,
            message_id=accepted.message_id,
            events=len(accepted.events),
            topic=self.topic,
        )
        return IngestResult(accepted=accepted)

    async def dead_letter(
        self,
        payload: bytes,
        error: InputError,
        *,
        received_at: datetime | None = None,
        stage: str = "connector",
        message_id: str | None = None,
    ) -> DeadLetterRecord:
        """Write ``payload`` (sealed) with the reason to the dead-letter topic."""
        record = DeadLetterRecord(
            source=self.fmt.name,
            stage=stage,
            code=error.code,
            reason=error.reason,
            received_at=received_at or self._now(),
            message_id=message_id,
            payload_sha256=sha256_hex(payload),
            sealed_payload=self.sealer.seal(payload),
            key_id=self.sealer.active_key_id,
        )
        key = (message_id or record.payload_sha256).encode()
        try:
            value = self._dlq_codec.encode(record)
        except SerdeError as exc:
            raise DeliveryError(f"cannot encode the dead letter: {exc}") from exc
        await self.sink.send(self.settings.topics.dlq, key, value)
        log.warning(
            "message dead-lettered", format=self.fmt.name, code=error.code, reason=error.reason, stage=stage
        )
        return record
