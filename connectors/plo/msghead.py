"""The MsgHead v1.2 envelope (Hodemelding): ids, dates, parties, patient and the carried document."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.plo import schemas
from connectors.plo.times import parse_stamp
from connectors.plo.xmlsafe import attr, child, children, descendants, namespace, text
from hub.errors import ValidationError

PERSON_ID_TYPES = frozenset({"FNR", "DNR", "HNR", "FHN"})
"""Code list 8116 identifier types that are person numbers (fødsels-, D-, H- and FH-nummer)."""


@dataclass(frozen=True, slots=True)
class Party:
    """Sender or receiver: the organisation's HER-id and name, and the sub-unit's HER-id if given."""

    her_id: str | None
    name: str | None
    unit_her_id: str | None
    unit_name: str | None


@dataclass(frozen=True, slots=True)
class PatientIdent:
    """The patient's identifier (a person number, or a redaction token) and bostedskommune if stated."""

    id: str
    type_id: str
    bostedskommune: str | None


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the hub reads from MsgHead."""

    msg_type: str
    msg_id: str
    gen_date: datetime
    sender: Party
    receiver: Party
    patient: PatientIdent | None
    ref_to_parent: str | None
    ref_to_conversation: str | None
    body: etree._Element

    @property
    def body_namespace(self) -> str:
        """Namespace of the carried document (selects its schema and mapper)."""
        return namespace(self.body)


def _her(org: etree._Element | None) -> str | None:
    for ident in children(org, "Ident"):
        if attr(ident, "TypeId") == "HER":
            return text(ident, "Id")
    return None


def _party(element: etree._Element | None) -> Party:
    org = child(element, "Organisation")
    unit = child(org, "Organisation")
    return Party(_her(org), text(org, "OrganisationName"), _her(unit), text(unit, "OrganisationName"))


def patient_ident(patient: etree._Element | None, *, where: str) -> PatientIdent | None:
    """The person-number Ident of a MsgHead or felleskomponent1 Patient element (None if it has none)."""
    if patient is None:
        return None
    kommune = None
    address = child(patient, "Address")
    county = attr(address, "County")
    if county and len(county) == 4 and county.isdigit():
        kommune = county
    for ident in children(patient, "Ident"):
        type_id = attr(ident, "TypeId")
        value = text(ident, "Id")
        if type_id in PERSON_ID_TYPES and value:
            return PatientIdent(value, type_id, kommune)
    if children(patient, "Ident"):
        raise ValidationError(
            "patient has no person number (Ident with TypeId FNR/DNR/HNR/FHN, code list 8116)",
            code="patient",
            location=where,
        )
    return None


def _document(root: etree._Element) -> etree._Element:
    contents = descendants(root, "Content")
    if not contents:
        raise ValidationError("MsgHead carries no Document/RefDoc/Content", code="content")
    elements = [e for e in contents[0] if isinstance(e.tag, str)]
    if len(elements) != 1:
        raise ValidationError("MsgHead Content must hold exactly one document", code="content")
    return elements[0]


def validate_msghead(root: etree._Element) -> etree._Element:
    """Validate the envelope and its document, each with its own schema; return the document element."""
    body = _document(root)
    envelope = copy.deepcopy(root)
    for content in descendants(envelope, "Content"):
        for element in list(content):
            content.remove(element)
    schemas.validate(envelope, schemas.MSGHEAD_NS)
    schemas.validate(body, namespace(body))
    return body


def read_msghead(root: etree._Element) -> Envelope:
    """Validate and read a MsgHead document."""
    body = validate_msghead(root)
    info = child(root, "MsgInfo")
    msg_type = attr(info, "Type")
    msg_id = text(info, "MsgId")
    gen_date = text(info, "GenDate")
    if not msg_type or not msg_id or not gen_date:
        raise ValidationError("MsgInfo needs Type, MsgId and GenDate", code="msginfo", location="MsgInfo")
    ref = child(info, "ConversationRef")
    return Envelope(
        msg_type=msg_type,
        msg_id=msg_id,
        gen_date=parse_stamp(gen_date, where="MsgInfo/GenDate").at,
        sender=_party(child(info, "Sender")),
        receiver=_party(child(info, "Receiver")),
        patient=patient_ident(child(info, "Patient"), where="MsgInfo/Patient"),
        ref_to_parent=text(ref, "RefToParent"),
        ref_to_conversation=text(ref, "RefToConversation"),
        body=body,
    )
