"""Parsing HL7 v2 ER7 with python-hl7, behind a small safe accessor.

python-hl7 (``hl7``) is lenient and fast; it does not validate against message structures, so the checks the
hub relies on (MSH present and first, MSH-9/10/12, segment presence, field formats) are made here and in
``adt.py``. Every failure becomes a :class:`~hub.errors.ParseError` or :class:`~hub.errors.ValidationError`;
no exception of the library leaks out.

Character set: MSH-18 decides (``UNICODE UTF-8``, ``8859/1``, ``8859/15``, ``ASCII``); without MSH-18 the
bytes are read as UTF-8 when they are valid UTF-8, else as ISO 8859-1 (common in older Norwegian EPJ feeds).
Segment separators ``\\r`` (standard), ``\\r\\n`` and ``\\n`` are all accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import hl7

from hub.errors import ParseError, ValidationError

OSLO = ZoneInfo("Europe/Oslo")

CHARSETS = {
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "ASCII": "ascii",
}
_CODEC_TO_MSH18 = {"utf-8": "UNICODE UTF-8", "latin-1": "8859/1", "iso8859-15": "8859/15", "ascii": "ASCII"}
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")
_TS = re.compile(
    r"^(?P<y>\d{4})(?:(?P<mo>\d{2})(?:(?P<d>\d{2})(?:(?P<h>\d{2})(?:(?P<mi>\d{2})(?:(?P<s>\d{2})"
    r"(?:\.(?P<f>\d{1,4}))?)?)?)?)?)?(?P<tz>[+-]\d{4})?$"
)


@dataclass(frozen=True, slots=True)
class Header:
    """The MSH fields needed to route and acknowledge a message, read without the full parser."""

    field_sep: str
    encoding_chars: str
    sending_application: str
    sending_facility: str
    receiving_application: str
    receiving_facility: str
    message_type: str
    trigger_event: str
    control_id: str
    processing_id: str
    version: str
    charset: str

    @property
    def sender_key(self) -> str:
        """Who sent it: MSH-3 and MSH-4 (for duplicate detection per sender)."""
        return f"{self.sending_application}|{self.sending_facility}"


def normalise_segments(payload: bytes) -> bytes:
    """Segment separators to ``\\r``; blank trailing separators removed."""
    return payload.replace(b"\r\n", b"\r").replace(b"\n", b"\r").strip(b"\r")


def peek_header(payload: bytes) -> Header | None:
    """Read MSH from raw bytes without failing; None when there is no usable MSH segment."""
    data = normalise_segments(payload).lstrip()
    if not data.startswith(b"MSH") or len(data) < 8:
        return None
    line = data.split(b"\r", 1)[0].decode("latin-1")
    if len(line) < 8:
        return None
    sep = line[3]
    if sep.isalnum() or sep.isspace():
        return None
    fields = line.split(sep)
    # MSH-1 is the separator itself, so MSH-n is fields[n - 1].

    def f(n: int) -> str:
        return fields[n - 1] if len(fields) >= n else ""

    enc = f(2)
    comp = enc[0] if enc else "^"

    def c(n: int, k: int = 1) -> str:
        parts = f(n).split(comp)
        return parts[k - 1] if len(parts) >= k else ""

    return Header(
        field_sep=sep,
        encoding_chars=enc,
        sending_application=c(3),
        sending_facility=c(4),
        receiving_application=c(5),
        receiving_facility=c(6),
        message_type=c(9, 1),
        trigger_event=c(9, 2),
        control_id=f(10),
        processing_id=c(11),
        version=c(12),
        charset=f(18).split(comp)[0].split("~")[0].strip().upper(),
    )


def codec_of(payload: bytes, header: Header | None) -> str:
    """The Python codec for ``payload`` (see module docstring)."""
    if header and header.charset:
        codec = CHARSETS.get(header.charset)
        if codec is None:
            raise ValidationError(
                f"unsupported character set {header.charset!r}", code="table", location="MSH-18"
            )
        return codec
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def msh18_for(codec: str) -> str:
    """The MSH-18 value that names ``codec``."""
    return _CODEC_TO_MSH18[codec]


@dataclass(slots=True)
class Message:
    """A parsed HL7 v2 message: python-hl7's tree plus the codec it was read with."""

    tree: hl7.Message
    header: Header
    codec: str

    _index: dict[str, hl7.Segment] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the segment index (call after adding or removing segments)."""
        self._index = {}
        for seg in self.tree:
            self._index.setdefault(str(seg[0]), seg)

    def has(self, segment: str) -> bool:
        """True if the message has at least one ``segment``."""
        return segment in self._index

    def get(self, segment: str, field: int, rep: int = 1, comp: int = 1, sub: int = 1) -> str:
        """One value of the first ``segment`` (1-based, e.g. PID-3.1 is ``get("PID", 3)``); "" when absent."""
        seg = self._index.get(segment)
        if seg is None:
            return ""
        try:
            value = seg.extract_field(1, field, rep, comp, sub)
        except (IndexError, KeyError, AttributeError, TypeError):
            return ""
        return str(value).strip()

    def assign(self, value: str, segment: str, field: int) -> None:
        """Replace field ``segment-field`` of the first ``segment`` with ``value`` (written verbatim)."""
        seg = self._index.get(segment)
        if seg is not None:
            seg.assign_field(value, field)

    def repetitions(self, segment: str, field: int) -> int:
        """How many repetitions field ``segment-field`` has (0 when absent or empty)."""
        seg = self._index.get(segment)
        if seg is None or field >= len(seg):
            return 0
        value = seg[field]
        if isinstance(value, hl7.Field) and value and isinstance(value[0], hl7.Repetition):
            return len(value)
        return 1 if str(value) else 0

    def to_bytes(self) -> bytes:
        """Serialise (segments joined by ``\\r``) in the codec the message was read with."""
        try:
            return str(self.tree).encode(self.codec)
        except (IndexError, UnicodeEncodeError) as exc:
            raise ParseError(f"message cannot be re-encoded: {exc}", code="segment_sequence") from exc


def parse_message(payload: bytes, *, keep: frozenset[str] | None = None) -> Message:
    """Parse ``payload`` as ER7; raise :class:`ParseError` / :class:`ValidationError` with the reason.

    ``keep``: the segments to parse (every segment's id is still checked, and MSH is always kept). The
    others are left out of the tree: python-hl7 builds a container for every field, repetition and component,
    which is most of the cost of a message with next of kin, insurance or observations.
    """
    if not payload.strip():
        raise ParseError("empty message", code="segment_sequence")
    data = normalise_segments(payload).lstrip()
    header = peek_header(data)
    if header is None:
        raise ParseError(
            "the message must start with an MSH segment", code="segment_sequence", location="MSH"
        )
    enc = header.encoding_chars
    specials = {header.field_sep, *enc}
    if (
        not 4 <= len(enc) <= 5
        or len(specials) != len(enc) + 1
        or any(ch.isalnum() or ch.isspace() for ch in enc)
    ):
        raise ParseError(
            "MSH-2 must hold 4 distinct encoding characters, e.g. ^~\\&", code="data_type", location="MSH-2"
        )
    codec = codec_of(data, header)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ParseError(f"bytes are not valid {codec}", code="data_type", location="MSH-18") from exc
    if "\x00" in text:
        raise ParseError("NUL byte in message", code="data_type")
    segments = text.strip().split("\r")
    names = [segment.split(header.field_sep, 1)[0] for segment in segments]
    for name in names:
        if not _SEGMENT_ID.fullmatch(name):
            raise ParseError(f"invalid segment id {name[:10]!r}", code="segment_sequence")
    if names.count("MSH") != 1:
        raise ParseError("one message per frame: a second MSH segment was found", code="segment_sequence")
    if keep is not None:
        text = "\r".join(
            seg for seg, name in zip(segments, names, strict=True) if name in keep or name == "MSH"
        )
    try:
        tree = hl7.parse(text)
    except (
        hl7.ParseException,
        IndexError,
        KeyError,
        ValueError,
        AttributeError,
        TypeError,
        AssertionError,
    ) as exc:
        raise ParseError(f"not well-formed HL7 v2: {exc}", code="segment_sequence") from exc
    return Message(tree=tree, header=header, codec=codec)


def parse_timestamp(value: str, *, location: str) -> datetime:
    """HL7 DTM/TS (``YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]``) to an aware UTC datetime.

    Without an offset the time is Europe/Oslo local time (DST resolved with ``fold=0``).
    """
    match = _TS.match(value.strip())
    if match is None:
        raise ValidationError(f"not an HL7 timestamp: {value[:40]!r}", code="data_type", location=location)
    g = match.groupdict()
    tz: tzinfo = OSLO
    if g["tz"]:
        sign = 1 if g["tz"][0] == "+" else -1
        hours, minutes = int(g["tz"][1:3]), int(g["tz"][3:5])
        if hours > 14 or minutes > 59:
            raise ValidationError(
                f"impossible UTC offset in {value[:40]!r}", code="data_type", location=location
            )
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        aware = datetime(
            int(g["y"]),
            int(g["mo"] or 1),
            int(g["d"] or 1),
            int(g["h"] or 0),
            int(g["mi"] or 0),
            int(g["s"] or 0),
            int((g["f"] or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValidationError(
            f"impossible date/time {value[:40]!r}", code="data_type", location=location
        ) from exc
    try:
        return aware.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationError(
            f"date/time out of range {value[:40]!r}", code="data_type", location=location
        ) from exc
