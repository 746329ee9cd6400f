"""Epikrise 1.0-1.2 (standalone ``Message`` document) -> EPIKRISE_SENT at GenDate (the sending time, SA07).

Epikrise carries no reference to the message it replaces; its document id (``ServRprt/ServProvId``) is the
same in the Ny, Endring and Kansellering (ServType, code list 7309). So the event of a *new* epikrise is made
from that document id, and an Endring/Kansellering targets it; their own events are made from their MsgId.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from connectors.plo import hendelser as h
from connectors.plo.build import Draft
from connectors.plo.msghead import PERSON_ID_TYPES, PatientIdent
from connectors.plo.times import parse_stamp
from connectors.plo.xmlsafe import attr, child, children, text
from hub.errors import ValidationError
from hub.events import EventType, Report

NAMESPACES = frozenset(
    {
        "http://www.kith.no/xmlstds/epikrise",
        "http://www.kith.no/xmlstds/epikrise/2006-09-23",
        "http://www.kith.no/xmlstds/epikrise/2012-02-15",
    }
)


@dataclass(frozen=True, slots=True)
class EpikriseFacts:
    """What the hub reads from an epikrise."""

    msg_id: str
    document_id: str | None
    status: str
    patient: PatientIdent | None
    her_id: str | None
    name: str | None
    unit_her_id: str | None
    draft: Draft


def _inst(root: etree._Element) -> etree._Element | None:
    return child(root, "ServRprt", "ServProvider", "HCP", "Inst")


def read(root: etree._Element) -> EpikriseFacts:
    """Read a (validated) epikrise."""
    msg_id = text(root, "MsgId")
    gen = attr(root, "GenDate")
    if not msg_id or not gen:
        raise ValidationError("epikrise needs MsgId and GenDate", code="msginfo")
    report = child(root, "ServRprt")
    status = attr(report, "ServType") or "N"
    document_id = text(report, "ServProvId")
    patient_el = child(report, "Patient")
    patient = None
    number = text(patient_el, "OffId")
    if number and attr(patient_el, "TypeOffId") in PERSON_ID_TYPES:
        patient = PatientIdent(number, attr(patient_el, "TypeOffId") or "FNR", None)
    inst = _inst(root)
    her_id = text(inst, "Id") if attr(inst, "TypeId") == "HER" else None
    dept = next(iter(children(inst, "Dept")), None)
    unit = text(dept, "Id") if attr(dept, "TypeId") == "HER" else None
    start = attr(child(report, "Event", "ReportedEvent"), "StartDateTime")
    admission = parse_stamp(start, where="Event/ReportedEvent/StartDateTime") if start else None
    draft = Draft(
        EventType.EPIKRISE_SENT,
        Report(episode_id=h.episode_id(her_id, admission), document_id=document_id or msg_id),
        parse_stamp(gen, where="GenDate").at,
    )
    return EpikriseFacts(msg_id, document_id, status, patient, her_id, text(inst, "Name"), unit, draft)
