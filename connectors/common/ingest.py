"""The one ingest step every connector uses: accept → raw topic (acknowledged) or reject → dead-letter topic.

Returns an :class:`IngestResult`; bad input is a result, not an exception. Only a Kafka failure raises
(:class:`DeliveryError`): then the sender must get a transient negative answer, never a positive one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from connectors.common.sink import RecordSink
from connectors.formats import Accepted, MappingContext, MessageFormat
from hub.errors import InputError
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.sealing import Sealer, sha256_hex
from hub.serde import TopicCodec, codec_for
from hub.settings import HubSettings

log = structlog.get_logger(__name__)


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
    ) -> None:
        self.fmt = fmt
        self.sink = sink
        self.settings = settings
        self.topic = raw_topic(settings, fmt)
        self.pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym)
        self.sealer = Sealer.from_settings(settings.pseudonym)
        self._raw_codec: TopicCodec[RawMessage] = codec_for(settings, RawMessage, self.topic)
        self._dlq_codec: TopicCodec[DeadLetterRecord] = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
        self._clock = clock
        self._recent: OrderedDict[tuple[str, str], Accepted] = OrderedDict()
        self._window = dedupe_window

    def _now(self) -> datetime:
        return self._clock.now(UTC)

    async def ingest(self, payload: bytes, *, system: str | None = None) -> IngestResult:
        """Accept ``payload`` (raw topic) or reject it (DLQ); raise DeliveryError if Kafka fails."""
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
            log.info("duplicate message re-acknowledged", format=self.fmt.name, message_id=accepted.message_id)
            return IngestResult(accepted=self._recent[seen_key], duplicate=True)
        record = RawMessage(
            format=self.fmt.name,
            source_kind=self.fmt.source_kind,
            system=accepted.system,
            message_id=accepted.message_id,
            received_at=received_at,
            content_type=self.fmt.content_type,
            payload=accepted.redacted,
            sender=accepted.sender,
        )
        await self.sink.send(self.topic, accepted.message_id.encode(), self._raw_codec.encode(record))
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
        await self.sink.send(self.settings.topics.dlq, key, self._dlq_codec.encode(record))
        log.warning("message dead-lettered", format=self.fmt.name, code=error.code, reason=error.reason, stage=stage)
        return record
