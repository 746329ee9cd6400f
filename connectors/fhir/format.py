"""The FHIR R4 format: Encounter and Patient resources as JSON (``FORMAT``)."""

from __future__ import annotations

from connectors.fhir.document import parse_document
from connectors.fhir.encounter import map_document
from connectors.fhir.redact import redact
from connectors.formats import Accepted, MappingContext
from hub.events import Event, SourceKind


class FhirFormat:
    """FHIR R4 JSON: a single Encounter (with a contained Patient) or a transaction/message Bundle."""

    name = "fhir"
    source_kind = SourceKind.FHIR
    content_type = "application/fhir+json"

    def detect(self, payload: bytes) -> bool:
        """JSON object naming a resourceType of Encounter or Bundle near its start."""
        head = payload[:4096].lstrip()
        return (
            head.startswith(b"{")
            and (b'"resourceType"' in head)
            and (b'"Encounter"' in head or b'"Bundle"' in head)
        )

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse, validate, map and redact one FHIR document."""
        doc = parse_document(payload, keyed_hash=ctx.pseudonymiser.pseudonym_of, default_system=ctx.system)
        events = map_document(doc, ctx)
        return Accepted(
            message_id=doc.message_id,
            system=doc.system,
            redacted=redact(doc, ctx),
            events=events,
            sender=doc.sender_her_id,
        )

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map an original or redacted FHIR document to canonical events."""
        doc = parse_document(payload, keyed_hash=ctx.pseudonymiser.pseudonym_of, default_system=ctx.system)
        return map_document(doc, ctx)


FORMAT = FhirFormat()
