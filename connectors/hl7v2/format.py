"""The HL7 v2 ADT format: detection, parse + validate + map, redaction (``FORMAT``)."""

from __future__ import annotations

from connectors.formats import Accepted, MappingContext
from connectors.hl7v2.adt import map_adt, map_with_person, system_of
from connectors.hl7v2.parse import normalise_segments, parse_message
from connectors.hl7v2.redact import KEPT_SEGMENTS, redact
from hub.events import Event, SourceKind


class Hl7v2Format:
    """HL7 v2.x ADT messages in ER7 encoding (MLLP-framed on the wire; unframed here)."""

    name = "hl7v2"
    source_kind = SourceKind.HL7V2
    content_type = "x-application/hl7-v2+er7"

    def detect(self, payload: bytes) -> bool:
        """ER7 starts with ``MSH`` and a field separator (after optional blanks or an MLLP start block)."""
        head = normalise_segments(payload[:64]).lstrip(b"\x0b \t")
        return head.startswith(b"MSH") and len(head) > 3 and not head[3:4].isalnum()

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse, validate, map and redact one ADT message."""
        msg = parse_message(payload, keep=KEPT_SEGMENTS)  # what the mapping reads and the redacted copy keeps
        events, person = map_with_person(msg, ctx)
        system = system_of(msg, ctx)
        return Accepted(
            message_id=msg.header.control_id,
            system=system,
            redacted=redact(msg, person),
            events=events,
            sender=msg.header.sending_facility or None,
        )

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map an original or redacted ADT message to canonical events."""
        return map_adt(parse_message(payload, keep=KEPT_SEGMENTS), ctx)


FORMAT = Hl7v2Format()
