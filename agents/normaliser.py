"""Raw topic record → canonical events, or a dead letter. No faust here: the agent only calls this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from connectors.formats import MappingContext
from connectors.registry import get_format
from hub.errors import HubError, InputError, SerdeError
from hub.events import Event
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.masking import mask_digits
from hub.identity.sealing import Sealer
from hub.serde import TopicCodec

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Normalised:
    """Events a raw record maps to, or the dead letter it becomes."""

    events: list[Event]
    dead_letter: DeadLetterRecord | None = None


class Normaliser:
    """Decodes raw records and maps them with their format module."""

    def __init__(
        self, raw_codec: TopicCodec[RawMessage], pseudonymiser: Pseudonymiser, sealer: Sealer
    ) -> None:
        self.raw_codec = raw_codec
        self.pseudonymiser = pseudonymiser
        self.sealer = sealer

    def _dead(
        self, source: str, code: str, reason: str, data: bytes, *, at: datetime, msg_id: str | None
    ) -> Normalised:
        return Normalised(
            [],
            DeadLetterRecord(
                source=source,
                stage="normalise",
                code=code,
                reason=mask_digits(reason),
                received_at=at,
                message_id=msg_id,
                payload_sha256=self.sealer.digest(data),
                sealed_payload=self.sealer.seal(data),
                key_id=self.sealer.active_key_id,
            ),
        )

    def normalise(self, data: bytes, *, topic: str, now: datetime) -> Normalised:
        """Map one raw record (as read from ``topic``); never raises for bad input."""
        try:
            raw = self.raw_codec.decode(data)
        except SerdeError as exc:
            return self._dead(topic, "serde", str(exc), data, at=now, msg_id=None)
        try:
            fmt = get_format(raw.format)
            ctx = MappingContext(
                pseudonymiser=self.pseudonymiser, received_at=raw.received_at, system=raw.system
            )
            events = fmt.to_events(raw.payload, ctx)
        except InputError as exc:
            return self._dead(
                raw.format, exc.code, exc.reason, raw.payload, at=raw.received_at, msg_id=raw.message_id
            )
        except HubError as exc:
            return self._dead(
                raw.format, "error", str(exc), raw.payload, at=raw.received_at, msg_id=raw.message_id
            )
        except Exception as exc:  # a bug in a mapper must dead-letter the record, not stall the stream
            log.exception("mapping failed unexpectedly", format=raw.format, message_id=raw.message_id)
            reason = f"internal error {type(exc).__name__}: {exc}"
            return self._dead(
                raw.format, "internal", reason, raw.payload, at=raw.received_at, msg_id=raw.message_id
            )
        return Normalised(events)
