"""The ``kpr`` format: one municipal extract per message, an IPLOS XML extract or a KPR CSV file.

``accept`` handles the whole file: all records map, or the file is rejected with the first bad record's
location (dead-lettered whole; the sender fixes it and sends it again — event ids are deterministic, so
records that were fine are not duplicated). Content is told apart by its first non-blank byte: ``<`` is XML.
"""

from __future__ import annotations

from typing import Final

from connectors.common.limits import HTTP_MAX_BODY
from connectors.formats import Accepted, MappingContext
from connectors.kpr import csvfeed, iplos
from connectors.kpr.records import ServiceRecord, to_events
from hub.errors import ValidationError
from hub.events import Event, SourceKind

MAX_BYTES: Final = HTTP_MAX_BODY
"""An extract is one raw record (``MAX_RECORD_BYTES``): a larger body could never be accepted."""
CSV_SYSTEM: Final = "KPR-CSV"
_BOM: Final = b"\xef\xbb\xbf"


def is_xml(payload: bytes) -> bool:
    """True if the payload is XML rather than CSV."""
    return payload.removeprefix(_BOM).lstrip()[:1] == b"<"


def _events(records: list[ServiceRecord], system: str, ctx: MappingContext) -> list[Event]:
    return [event for record in records for event in to_events(record, system, ctx)]


class KprFormat:
    """Municipal KAD / sykestue stays and service periods from IPLOS XML or the KPR CSV."""

    name = "kpr"
    source_kind = SourceKind.KPR
    content_type = "application/xml"
    """For IPLOS extracts; CSV files travel under the same format and are told apart by content."""

    def detect(self, payload: bytes) -> bool:
        """An IPLOS extract, or a CSV whose header names ``record_id`` and ``tjenestetype``."""
        head = payload.removeprefix(_BOM).lstrip()[:4096]
        if head[:1] == b"<":
            return b"IPLOS" in head and iplos.NS.encode() in head
        first = head.split(b"\n", 1)[0].lower()
        return b"record_id" in first and b"tjenestetype" in first

    def _check_size(self, payload: bytes) -> None:
        if len(payload) > MAX_BYTES:
            raise ValidationError(f"extract is larger than {MAX_BYTES} bytes")

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        """Parse, validate, map and redact one extract file."""
        self._check_size(payload)
        if is_xml(payload):
            extract = iplos.parse(payload, ctx)
            system = ctx.system or f"IPLOS {extract.kommunenummer} {extract.system_id}"
            return Accepted(
                message_id=extract.message_id,
                system=system,
                redacted=extract.redacted,
                events=_events(extract.records, system, ctx),
                sender=extract.kommunenummer,
            )
        records, redacted = csvfeed.parse(payload, ctx)
        system = ctx.system or CSV_SYSTEM
        return Accepted(
            message_id=csvfeed.message_id(redacted),
            system=system,
            redacted=redacted,
            events=_events(records, system, ctx),
            content_type="text/csv",
        )

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        """Map an original or redacted extract to its canonical events."""
        return list(self.accept(payload, ctx).events)


FORMAT = KprFormat()
