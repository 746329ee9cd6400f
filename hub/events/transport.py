"""Records on the raw and dead-letter topics (not canonical events, but every topic has a schema)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from pydantic import Field, field_validator

from hub.events.enums import SourceKind
from hub.events.parts import Part

MAX_RECORD_BYTES: Final = 1_000_000
"""Largest record (key + value) the hub writes to a raw or dead-letter topic.

One limit for the three places that must agree: connectors refuse larger messages (AppRec Avvist + dead
letter, never an endless "try again"), the producers are configured with it (``message.max.bytes``, plus
:data:`RECORD_FRAMING_BYTES`), and topics must accept it (``max.message.bytes`` at least
``MAX_RECORD_BYTES + RECORD_FRAMING_BYTES``; Kafka's default, 1 048 588, does). It is librdkafka's default.
"""
RECORD_FRAMING_BYTES: Final = 4096
"""Room for the record batch framing and headers on top of key + value."""


class RawMessage(Part):
    """A source message as a connector accepted it, redacted: person numbers replaced by pseudonym tokens.

    Key on the raw topic: ``message_id``. The normalise agent maps ``payload`` with the format named here.
    """

    format: str = Field(description="Format module name: hl7v2, fhir, plo, ambulance, kpr")
    source_kind: SourceKind
    system: str = Field(min_length=1)
    message_id: str = Field(min_length=1, description="The source's message id (MSH-10, MsgHead MsgId, ...)")
    received_at: datetime
    content_type: str = Field(
        description="MIME type of payload, e.g. x-application/hl7-v2+er7, application/xml"
    )
    payload: bytes = Field(description="The redacted source message")
    sender: str | None = Field(default=None, description="Sender HER-id or organisation, when known")
    receiver: str | None = Field(default=None, description="Receiver HER-id or organisation, when known")
    message_type: str | None = Field(
        default=None, description="The source's message type, e.g. LOG_INNLAGT, ADT^A01, EPIKRISE"
    )
    standard: str | None = Field(
        default=None, description="Standard and version, e.g. PLO 1.6, Dialogmelding 1.1"
    )
    event_types: list[str] | None = Field(
        default=None,
        description="Canonical event types the message mapped to ([] = none); null = not recorded",
    )
    sent_at: datetime | None = Field(
        default=None, description="When the sender says it sent the message (MsgHead GenDate), UTC"
    )
    unmapped: str | None = Field(
        default=None, description="Why a valid message mapped to no canonical event, when it did not"
    )
    reprocessed_from: str | None = Field(
        default=None,
        description="The dead letter this record was reprocessed from (`hub dlq reprocess`), as "
        "<dlq topic>:<partition>:<offset>; null for a message a connector accepted first time",
    )

    @field_validator("received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("received_at must carry a time zone")
        return value.astimezone(UTC)


class DeadLetterRecord(Part):
    """An input the hub could not accept, with the reason. Nothing is ever dropped silently.

    The original bytes may hold person numbers, so they travel *sealed* (AES-GCM, key derived from the
    pseudonym key ``key_id``); whoever holds that key can open them (``hub.identity.sealing.Sealer``).
    ``payload_sha256`` identifies the input.
    """

    source: str = Field(description="Format or stage: hl7v2, fhir, plo, ambulance, kpr, normalise, pathway")
    stage: str = Field(description="Where it failed: connector, normalise, pathway")
    code: str = Field(
        description="Short machine-readable reason, e.g. parse, validation, unsupported, identity"
    )
    reason: str = Field(description="Human-readable reason, with the location in the message when known")
    received_at: datetime
    message_id: str | None = None
    payload_sha256: str
    sealed_payload: bytes
    key_id: str

    @field_validator("received_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("received_at must carry a time zone")
        return value.astimezone(UTC)
