"""The contract every source format implements, and the registry ``hub validate`` and the normaliser use.

A format module (``connectors/<name>/format.py``) is pure: bytes in, canonical events or redacted bytes out,
``InputError`` subclasses for bad input. Protocol servers (MLLP, HTTP, file drops) live beside it and only
speak the protocol, call the format, write to Kafka and answer the sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from hub.events import Event, SourceKind
from hub.events.transport import RawMessage
from hub.identity import Pseudonymiser


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What a format needs to map a message: the pseudonymiser and the time the hub received it.

    ``system`` names the sending system when the message itself does not (e.g. a file-drop configuration).
    """

    pseudonymiser: Pseudonymiser
    received_at: datetime
    system: str | None = None
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message a format accepted: its id, the redacted bytes for the raw topic and the events it maps to."""

    message_id: str
    system: str
    redacted: bytes
    events: Sequence[Event]
    sender: str | None = None
    content_type: str | None = None
    """MIME type of this message when it differs from the format's default (e.g. CSV vs XML extracts)."""
    message_type: str | None = None
    """The source's message type (MsgHead Type, MSH-9 ...), when the format reads one."""
    standard: str | None = None
    """Standard and version, e.g. ``PLO 1.6``, when the format knows it."""
    receiver: str | None = None
    """Receiver HER-id or organisation, when the message names it."""
    unmapped: str | None = None
    """Why a valid message maps to no canonical event, when it maps to none."""
    sent_at: datetime | None = None
    """When the sender says it sent the message (MsgHead GenDate ...), when the format reads it."""


@runtime_checkable
class MessageFormat(Protocol):
    """A source format: detection, validation + mapping to canonical events, and redaction."""

    name: str
    """Short name, also the raw topic suffix: hl7v2, fhir, plo, ambulance, kpr."""
    source_kind: SourceKind
    content_type: str

    def detect(self, payload: bytes) -> bool:
        """Cheap sniff: does this payload look like this format?"""
        ...

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse, validate, map and redact; raise an ``InputError`` subclass saying what is wrong."""
        ...

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map a (possibly already redacted) payload to canonical events; the normaliser calls this."""
        ...


def raw_record(
    fmt: MessageFormat,
    accepted: Accepted,
    *,
    received_at: datetime,
    payload: bytes,
    reprocessed_from: str | None = None,
) -> RawMessage:
    """The raw-topic record of an accepted message (``payload``: its redacted, person-number-masked copy).

    One place for the connectors' ingest and ``hub dlq reprocess``, so both write the same record."""
    return RawMessage(
        format=fmt.name,
        source_kind=fmt.source_kind,
        system=accepted.system,
        message_id=accepted.message_id,
        received_at=received_at,
        content_type=accepted.content_type or fmt.content_type,
        payload=payload,
        sender=accepted.sender,
        receiver=accepted.receiver,
        message_type=accepted.message_type,
        standard=accepted.standard,
        event_types=[e.event_type.value for e in accepted.events],
        unmapped=accepted.unmapped,
        sent_at=accepted.sent_at,
        reprocessed_from=reprocessed_from,
    )
