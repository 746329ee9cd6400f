"""AppRec v1.0 replies (applikasjonskvittering) the hub sends for every ELIN message it receives.

Status (code list 8222 in AppRec): 1 OK, 2 Avvist (rejected: nothing of it was used), 3 OK med feil i
delmelding. Errors use code list 8221 (``S="2.16.578.1.12.4.1.1.8221"``):

======  =====================================================  ==============================================
Code    Meaning                                                when
======  =====================================================  ==============================================
T01     Ikke XML / ikke 'well formed' / uleselig               ParseError (incl. DTD/entity declarations)
T02     XML validerer ikke                                     ValidationError against the schema/format rules
T10     Støtter ikke meldingsformatet                          UnsupportedMessage
E10     Ugyldig meldingsidentifikator                          M/C without a usable reference to the original;
                                                               a MsgId already used by a different message
E30     Pasientens fødselsnummer mangler / er ugyldig          no or invalid patient person number
T99     Annen feil på format                                   any other input error, e.g. a message over the
                                                               size limit (too_large)
======  =====================================================  ==============================================

An AppRec is never answered with an AppRec. The reply reverses the parties: the receiver of the original is
the sender of the reply. Its Id is derived from the original id and status, and the servers date it with the
time the hub first received the message, so a re-delivery gets the same reply, byte for byte.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.plo import schemas
from connectors.plo.mapping import standard_of
from connectors.plo.msghead import Party
from connectors.plo.times import OSLO
from connectors.plo.xmlsafe import HTTP_MAX_BYTES, attr, child, descendants, local, namespace, parse, text
from hub.errors import HubError, InputError, ParseError, UnsupportedMessage, ValidationError

NS = schemas.APPREC_V1_NS
CODE_LIST_8221 = "2.16.578.1.12.4.1.1.8221"
OK, REJECTED, PARTIAL = "1", "2", "3"
STATUS_TEXT = {OK: "OK", REJECTED: "Avvist", PARTIAL: "OK, feil i delmelding"}
ERROR_TEXT = {
    "T01": "Ikke XML / ikke 'well formed' / uleselig",
    "T02": "XML validerer ikke",
    "T10": "Støtter ikke meldingsformatet",
    "T99": "Annen feil på format",
    "E10": "Ugyldig meldingsidentifikator",
    "E30": "Pasientens fødselsnummer mangler eller er ugyldig",
}
_REPLY_NAMESPACE = uuid.UUID("0b8f4a52-73d4-4c1e-9d0b-6a1f2f3f5e21")
_MAX_TEXT = 250


@dataclass(frozen=True, slots=True)
class AppRecError:
    """One code-list-8221 error with an optional explanation (never a person number)."""

    code: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Original:
    """What the reply needs to know about the message it answers."""

    msg_type: str
    msg_id: str
    issued: str
    sender: Party
    receiver: Party
    is_apprec: bool = False
    standard: str | None = None
    """Standard and version of the carried document (``PLO 1.6`` ...), when it can be told."""


UNKNOWN = Original(
    "UKJENT", "ukjent", "1970-01-01T00:00:00", Party(None, None, None, None), Party(None, None, None, None)
)


def error_for(exc: InputError) -> AppRecError:
    """The 8221 error for an input error the hub raised."""
    if exc.code == "too_large":
        code = "T99"
    elif isinstance(exc, ParseError):
        code = "T01"
    elif isinstance(exc, UnsupportedMessage):
        code = "T10"
    elif exc.code in {"patient", "patient_missing"}:
        code = "E30"
    elif exc.code in {"reference", "duplicate_id"}:
        code = "E10"
    elif isinstance(exc, ValidationError):
        code = "T02"
    else:
        code = "T99"
    return AppRecError(code, exc.reason[:_MAX_TEXT])


def _party(info: etree._Element | None, role: str) -> Party:
    org = child(info, role, "Organisation")
    unit = child(org, "Organisation")

    def her(element: etree._Element | None) -> str | None:
        ident = child(element, "Ident")
        return text(ident, "Id") if attr(ident, "TypeId") == "HER" else None

    return Party(her(org), text(org, "OrganisationName"), her(unit), text(unit, "OrganisationName"))


def describe(payload: bytes) -> Original:
    """Best-effort facts about a received message for the reply (UNKNOWN parts if it cannot be read)."""
    try:
        root = parse(payload, max_bytes=HTTP_MAX_BYTES)  # an oversized message still gets a reply naming it
    except (InputError, HubError):
        return UNKNOWN
    ns = namespace(root)
    if ns in {schemas.APPREC_V1_NS, schemas.APPREC_V11_NS}:
        return Original(
            "APPREC",
            text(root, "Id") or "ukjent",
            text(root, "GenDate") or UNKNOWN.issued,
            UNKNOWN.sender,
            UNKNOWN.receiver,
            is_apprec=True,
            standard=standard_of(ns),
        )
    if local(root.tag) == "MsgHead":
        info = child(root, "MsgInfo")
        content = next(iter(descendants(root, "Content")), None)
        document = next((e for e in content if isinstance(e.tag, str)), None) if content is not None else None
        return Original(
            attr(info, "Type") or "UKJENT",
            text(info, "MsgId") or "ukjent",
            text(info, "GenDate") or UNKNOWN.issued,
            _party(info, "Sender"),
            _party(info, "Receiver"),
            standard=standard_of(namespace(document)) if document is not None else None,
        )
    if local(root.tag) == "Message":  # Epikrise
        inst = child(root, "ServRprt", "ServProvider", "HCP", "Inst")
        her = text(inst, "Id") if attr(inst, "TypeId") == "HER" else None
        return Original(
            attr(root, "Type") or "EPIKRISE",
            text(root, "MsgId") or "ukjent",
            attr(root, "GenDate") or UNKNOWN.issued,
            Party(her, text(inst, "Name"), None, None),
            UNKNOWN.receiver,
            standard=standard_of(ns),
        )
    return UNKNOWN


def _sub(parent: etree._Element, name: str, value: str | None = None, **attrs: str | None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if value is not None:
        element.text = value
    for key, val in attrs.items():
        if val is not None:
            element.set(key, val)
    return element


def _hcp(parent: etree._Element, role: str, party: Party) -> None:
    holder = _sub(parent, role)
    _sub(holder, "Role", V=role.upper())
    inst = _sub(_sub(holder, "HCP"), "Inst")
    if party.name:
        _sub(inst, "Name", party.name)
    if party.her_id:
        _sub(inst, "Id", party.her_id)
        _sub(inst, "TypeId", V="HER", DN="HER-id")
    if party.unit_her_id:
        dept = _sub(inst, "Dept")
        if party.unit_name:
            _sub(dept, "Name", party.unit_name)
        _sub(dept, "Id", party.unit_her_id)
        _sub(dept, "TypeId", V="HER", DN="HER-id")


def _issue_date(value: str) -> str:
    """OriginalMsgId/IssueDate is xs:dateTime; a date-only or malformed value falls back safely."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return UNKNOWN.issued
    return parsed.isoformat(timespec="seconds")


def build_apprec(
    original: Original,
    status: str,
    errors: Sequence[AppRecError] = (),
    *,
    now: datetime,
    software_version: str = "0.1.0",
) -> bytes:
    """AppRec v1.0 XML answering ``original`` with ``status`` (1, 2 or 3) and ``errors``."""
    if status not in STATUS_TEXT:
        raise ValueError(f"AppRec status must be 1, 2 or 3, not {status!r}")
    if status != OK and not errors:
        raise ValueError("a status 2 or 3 AppRec needs at least one error")
    root = etree.Element(f"{{{NS}}}AppRec", nsmap={None: NS})  # type: ignore[dict-item]
    _sub(root, "MsgType", V="APPREC", DN="Applikasjonskvittering")
    _sub(root, "MIGversion", "1.0 2004-11-21")
    _sub(root, "SoftwareName", "samhandling-hub")
    _sub(root, "SoftwareVersion", software_version)
    _sub(root, "GenDate", now.astimezone(OSLO).replace(tzinfo=None).isoformat(timespec="seconds"))
    reply_id = uuid.uuid5(_REPLY_NAMESPACE, f"{original.msg_id}|{status}|{','.join(e.code for e in errors)}")
    _sub(root, "Id", str(reply_id))
    _hcp(root, "Sender", original.receiver)
    _hcp(root, "Receiver", original.sender)
    _sub(root, "Status", V=status, DN=STATUS_TEXT[status])
    for error in errors:
        _sub(
            root,
            "Error",
            V=error.code,
            S=CODE_LIST_8221,
            DN=ERROR_TEXT.get(error.code, error.code),
            OT=(error.detail or None),
        )
    ref = _sub(root, "OriginalMsgId")
    _sub(ref, "MsgType", V=original.msg_type)
    _sub(ref, "IssueDate", _issue_date(original.issued))
    _sub(ref, "Id", original.msg_id)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def reply_for(payload: bytes, error: InputError | None, *, now: datetime) -> bytes | None:
    """The AppRec answering ``payload``: OK when ``error`` is None, else Avvist; None for an AppRec."""
    return reply_to(describe(payload), error, now=now)


def reply_to(original: Original, error: InputError | None, *, now: datetime) -> bytes | None:
    """The AppRec answering the message ``original`` describes (see :func:`reply_for`)."""
    if original.is_apprec:
        return None
    if error is None:
        return build_apprec(original, OK, now=now)
    return build_apprec(original, REJECTED, [error_for(error)], now=now)
