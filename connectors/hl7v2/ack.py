"""HL7 v2 original-mode acknowledgements (ACK) with an ERR segment on failure.

=====  ============================================================  ===========================
MSA-1  When                                                          Sender should
=====  ============================================================  ===========================
AA     the redacted message is in Kafka (the broker acknowledged)    send the next message
AR     the message is bad (parse/validation/identity/unsupported);   not resend it unchanged:
       it was dead-lettered with the reason                          the DLQ holds it
AE     Kafka did not confirm the write (transient)                   resend the same message
=====  ============================================================  ===========================

ERR (v2.5 layout): ERR-2 error location (segment^sequence^field), ERR-3 HL7 error code (table 0357),
ERR-4 severity E, ERR-8 user message. MSA-3 repeats the text for senders older than v2.4.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime

from connectors.hl7v2.parse import CHARSETS, OSLO, Header
from hub.errors import InputError, ParseError, UnsupportedMessage

ERROR_CODES: dict[str, tuple[str, str]] = {
    # InputError.code -> HL7 table 0357 (code, text)
    "segment_sequence": ("100", "Segment sequence error"),
    "required": ("101", "Required field missing"),
    "data_type": ("102", "Data type error"),
    "identity": ("102", "Data type error"),
    "table": ("103", "Table value not found"),
    "too_long": ("104", "Value too long"),
    "unsupported_type": ("200", "Unsupported message type"),
    "unsupported_event": ("201", "Unsupported event code"),
    "unsupported_processing_id": ("202", "Unsupported processing id"),
    "unsupported_version": ("203", "Unsupported version id"),
    "too_large": ("207", "Application internal error"),
}
INTERNAL_ERROR = ("207", "Application internal error")
_LOCATION = re.compile(r"^(?P<seg>[A-Z][A-Z0-9]{2})(?:-(?P<field>\d+))?(?:\[(?P<rep>\d+)\])?")
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class AckError:
    """What goes into ERR: table 0357 code and text, location, user message."""

    code: str
    text: str
    message: str
    location: str | None = None


def error_for(exc: InputError) -> AckError:
    """The ERR content for an input error."""
    default = (
        ("100", "Segment sequence error")
        if isinstance(exc, ParseError)
        else ("101", "Required field missing")
    )
    if isinstance(exc, UnsupportedMessage):
        default = ("200", "Unsupported message type")
    code, text = ERROR_CODES.get(exc.code, default)
    return AckError(code, text, str(exc), exc.location)


def escape(value: str, header: Header | None) -> str:
    """Escape delimiters in free text (HL7 escape sequences \\F\\ \\S\\ \\R\\ \\E\\ \\T\\)."""
    sep = header.field_sep if header else "|"
    enc = header.encoding_chars if header and len(header.encoding_chars) >= 4 else "^~\\&"
    comp, rep, esc, sub = enc[0], enc[1], enc[2], enc[3]
    out = value.replace(esc, f"{esc}E{esc}")
    for char, code in ((sep, "F"), (comp, "S"), (rep, "R"), (sub, "T")):
        out = out.replace(char, f"{esc}{code}{esc}")
    return re.sub(r"[\r\n\x0b\x1c]", " ", out)


def build_ack(
    header: Header | None,
    code: str,
    *,
    error: AckError | None = None,
    now: datetime,
    receiving_application: str = "SAMHANDLING-HUB",
) -> bytes:
    """An ACK for the message with ``header`` (None when it had no readable MSH)."""
    sep = header.field_sep if header else "|"
    enc = header.encoding_chars if header and len(header.encoding_chars) >= 4 else "^~\\&"
    comp = enc[0]
    timestamp = now.astimezone(OSLO).strftime("%Y%m%d%H%M%S%z")
    control_id = f"ACK{now.strftime('%Y%m%d%H%M%S')}{next(_counter):06d}"
    trigger = header.trigger_event if header else ""
    msh = [
        "MSH",
        enc,
        (header.receiving_application if header else "") or receiving_application,
        header.receiving_facility if header else "",
        header.sending_application if header else "",
        header.sending_facility if header else "",
        timestamp,
        "",
        comp.join(["ACK", trigger, "ACK"]) if trigger else "ACK",
        control_id,
        (header.processing_id if header else "") or "P",
        (header.version if header else "") or "2.5",
    ]
    msa = ["MSA", code, header.control_id if header else ""]
    segments = [sep.join(msh)]
    if error is not None:
        msa.append(escape(error.message[:80], header))
    segments.append(sep.join(msa))
    if error is not None:
        segments.append(
            sep.join(
                [
                    "ERR",
                    "",
                    _location(error.location, comp),
                    comp.join([error.code, error.text, "HL70357"]),
                    "E",
                    "",
                    "",
                    "",
                    escape(error.message[:250], header),
                ]
            )
        )
    codec = CHARSETS.get(header.charset, "utf-8") if header else "utf-8"
    return ("\r".join(segments) + "\r").encode(codec, errors="replace")


def _location(location: str | None, comp: str) -> str:
    """``PID-3[2]`` → ``PID^1^3^2`` (ERL: segment id, sequence, field, repetition)."""
    match = _LOCATION.match(location or "")
    if match is None:
        return ""
    parts = [match["seg"], "1"]
    if match["field"]:
        parts.append(match["field"])
        if match["rep"]:
            parts.append(match["rep"])
    return comp.join(parts)
