"""Filling the KITH example messages (``templates/``) with a synthetic patient, ids and times.

The templates are the standard's own examples (fictitious persons); the renderer keeps their structure, so
what it sends validates against the same XSDs, and changes only ids, times, the patient and a few codes.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from lxml import etree

from hub.simulate.persons import Person

SAMPLE_NUMBERS = ("15076500565", "13116900216", "12057900499")
"""The fictitious persons' numbers in the KITH examples, replaced by the synthetic person's."""
MSGHEAD_NS = "http://www.kith.no/xmlstds/msghead/2006-05-24"


@cache
def template(name: str) -> bytes:
    """The bytes of ``templates/<name>.xml``."""
    return resources.files("hub.simulate").joinpath("templates", f"{name}.xml").read_bytes()


def load(name: str, person: Person) -> etree._Element:
    """Parse template ``name`` with every sample person number replaced by ``person``'s."""
    raw = template(name)
    for number in SAMPLE_NUMBERS:
        raw = raw.replace(number.encode(), person.number.encode())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(raw, parser)


def local(element: etree._Element) -> str:
    """Local name of an element (empty for comments and processing instructions)."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def find_all(root: etree._Element, name: str) -> list[etree._Element]:
    """Every descendant-or-self element with local name ``name``."""
    return [e for e in root.iter() if local(e) == name]


def first(root: etree._Element, name: str) -> etree._Element:
    """The first element with local name ``name`` (KeyError when the template has none)."""
    found = find_all(root, name)
    if not found:
        raise KeyError(name)
    return found[0]


def child(parent: etree._Element, name: str) -> etree._Element | None:
    """The first direct child with local name ``name``."""
    return next((e for e in parent if local(e) == name), None)


def set_patient(root: etree._Element, person: Person) -> None:
    """Synthetic name, birth date and sex on every Patient element; County (kommune) on MsgHead's."""
    for patient in find_all(root, "Patient"):
        for element in patient:
            name = local(element)
            if name == "FamilyName":
                element.text = "Pasient"
            elif name == "GivenName":
                element.text = f"Syntetisk{person.serial}"
            elif name == "Name" and element.text:
                element.text = f"Pasient, Syntetisk{person.serial}"
            elif name == "DateOfBirth":
                if element.get("V") is not None:
                    element.set("V", person.born.isoformat())
                else:
                    element.text = person.born.isoformat()
            elif name == "Sex":
                element.set("V", person.kith_sex)
                element.set("DN", "Kvinne" if person.female else "Mann")
    msg_patient = next((p for p in find_all(root, "Patient") if etree.QName(p).namespace == MSGHEAD_NS), None)
    if msg_patient is not None and person.kommune:
        _set_county(msg_patient, person.kommune)


def _set_county(patient: etree._Element, kommune: str) -> None:
    address = child(patient, "Address")
    if address is None:
        address = etree.SubElement(patient, f"{{{MSGHEAD_NS}}}Address")
        etree.SubElement(address, f"{{{MSGHEAD_NS}}}Type", V="H", DN="Bostedsadresse")
    for name in ("StreetAdr", "PostalCode", "City", "County"):
        old = child(address, name)
        if old is not None:
            address.remove(old)
    county = etree.Element(f"{{{MSGHEAD_NS}}}County", V=kommune)
    anchor = child(address, "Type")
    if anchor is not None:
        anchor.addnext(county)
    else:
        address.insert(0, county)


def set_msginfo(root: etree._Element, msg_id: str, gen_date: str) -> None:
    """MsgHead GenDate, MsgId and the document IssueDate."""
    info = first(root, "MsgInfo")
    gen = child(info, "GenDate")
    mid = child(info, "MsgId")
    if gen is None or mid is None:
        raise KeyError("GenDate/MsgId")
    gen.text = gen_date
    mid.text = msg_id
    for issue in find_all(root, "IssueDate"):
        if issue.get("V") is not None:
            issue.set("V", gen_date)


def set_parent(root: etree._Element, parent_msg_id: str) -> None:
    """MsgHead ConversationRef naming the message this one amends or cancels."""
    info = first(root, "MsgInfo")
    old = child(info, "ConversationRef")
    if old is not None:
        info.remove(old)
    ref = etree.Element(f"{{{MSGHEAD_NS}}}ConversationRef")
    etree.SubElement(ref, f"{{{MSGHEAD_NS}}}RefToParent").text = parent_msg_id
    etree.SubElement(ref, f"{{{MSGHEAD_NS}}}RefToConversation").text = parent_msg_id
    mid = child(info, "MsgId")
    if mid is None:
        raise KeyError("MsgId")
    mid.addnext(ref)


def set_status(root: etree._Element, status: str) -> None:
    """Forsendelsesstatus (code list 7309) N / M / C."""
    names = {"N": "Ny", "M": "Endring", "C": "Kansellering"}
    for element in find_all(root, "Forsendelsesstatus"):
        element.set("V", status)
        element.set("DN", names[status])


def serialise(root: etree._Element) -> bytes:
    """UTF-8 with an XML declaration."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
