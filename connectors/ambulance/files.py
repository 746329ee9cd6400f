"""JSON-lines file ingestion: each non-blank line is one mission event, ingested on its own.

Bad lines go to the dead-letter topic (their reason names the line) and into the report with their line
number; nothing is dropped silently. Blank lines are counted, not ingested. A Kafka failure stops the run with
:class:`DeliveryError` (earlier lines are in Kafka; running the file again is safe, message ids deduplicate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.common.ingest import Ingestor
from connectors.common.sink import RecordSink
from connectors.formats import Accepted, MappingContext, MessageFormat
from hub.errors import InputError
from hub.events import Event, SourceKind
from hub.settings import HubSettings


@dataclass(frozen=True, slots=True)
class LineResult:
    """What happened to one line."""

    line: int
    status: str  # accepted, duplicate, rejected
    message_id: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class FileReport:
    """Per-line outcome of a file ingestion."""

    path: str
    lines: list[LineResult] = field(default_factory=list)
    blank: int = 0

    @property
    def accepted(self) -> list[LineResult]:
        """Lines written to the raw topic (including re-sent duplicates)."""
        return [r for r in self.lines if r.status != "rejected"]

    @property
    def rejected(self) -> list[LineResult]:
        """Lines written to the dead-letter topic."""
        return [r for r in self.lines if r.status == "rejected"]

    def summary(self) -> str:
        """One human-readable paragraph, one line per rejected input line."""
        head = (
            f"{self.path}: {len(self.accepted)} accepted, {len(self.rejected)} rejected, {self.blank} blank"
        )
        return "\n".join([head, *(f"  line {r.line}: [{r.code}] {r.reason}" for r in self.rejected)])


def _relocate(exc: InputError, line: int) -> InputError:
    location = f"line {line}" + (f", {exc.location}" if exc.location else "")
    located = type(exc)(str(exc), code=exc.code, location=location)
    located.__cause__ = exc
    return located


class _LineFormat:
    """Wraps a format so that its errors name the file line being ingested."""

    def __init__(self, inner: MessageFormat) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.source_kind: SourceKind = inner.source_kind
        self.content_type: str = inner.content_type
        self.line = 0

    def detect(self, payload: bytes) -> bool:
        return self.inner.detect(payload)

    def accept(self, payload: bytes, ctx: MappingContext) -> Accepted:
        try:
            return self.inner.accept(payload, ctx)
        except InputError as exc:
            raise _relocate(exc, self.line) from exc

    def to_events(self, payload: bytes, ctx: MappingContext) -> list[Event]:
        return self.inner.to_events(payload, ctx)


async def ingest_lines(
    lines: Iterable[bytes],
    fmt: MessageFormat,
    sink: RecordSink,
    settings: HubSettings,
    *,
    path: str = "-",
    system: str | None = None,
) -> FileReport:
    """Ingest each non-blank line; return the per-line report."""
    wrapped = _LineFormat(fmt)
    ingestor = Ingestor(wrapped, sink, settings)
    report = FileReport(path=path)
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            report.blank += 1
            continue
        wrapped.line = number
        result = await ingestor.ingest(line, system=system)
        if result.accepted is not None:
            status = "duplicate" if result.duplicate else "accepted"
            report.lines.append(LineResult(number, status, message_id=result.accepted.message_id))
        elif result.error is not None:
            err = result.error
            report.lines.append(LineResult(number, "rejected", code=err.code, reason=err.reason))
    return report


async def ingest_file(
    path: Path, fmt: MessageFormat, sink: RecordSink, settings: HubSettings, *, system: str | None = None
) -> FileReport:
    """Ingest a JSON-lines file line by line."""
    with path.open("rb") as handle:
        return await ingest_lines(handle, fmt, sink, settings, path=str(path), system=system)
