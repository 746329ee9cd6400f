"""The PLO/ELIN-k message format: MsgHead-wrapped PLO and Dialogmelding, Epikrise, and AppRec (XML)."""

from __future__ import annotations

from connectors.formats import Accepted, MappingContext
from connectors.plo.mapping import map_document
from connectors.plo.redact import Redactor
from connectors.plo.xmlsafe import parse
from hub.events import Event, SourceKind

_MARKERS = (b"kith.no/xmlstds/msghead", b"kith.no/xmlstds/apprec", b"kith.no/xmlstds/epikrise")
_SNIFF_BYTES = 4096


class PloFormat:
    """ELIN XML messages (see :mod:`connectors.plo.mapping` for what maps to what)."""

    name = "plo"
    source_kind = SourceKind.PLO
    content_type = "application/xml"

    def detect(self, payload: bytes) -> bool:
        """An XML document in one of the ELIN envelope namespaces."""
        head = payload[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"<") and any(marker in head for marker in _MARKERS)

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse safely, validate against the ELIN schemas, map, and redact for the raw topic."""
        root = parse(payload)
        mapped = map_document(root, ctx)
        redacted = Redactor(ctx.pseudonymiser).redact(root)
        return Accepted(
            message_id=mapped.message_id,
            system=mapped.system,
            redacted=redacted,
            events=mapped.events,
            sender=mapped.sender,
            message_type=mapped.msg_type,
            standard=mapped.standard,
            receiver=mapped.receiver,
            unmapped=mapped.unmapped,
            sent_at=mapped.sent_at,
        )

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map an original or redacted message (identical events either way)."""
        return map_document(parse(payload), ctx).events


FORMAT = PloFormat()
