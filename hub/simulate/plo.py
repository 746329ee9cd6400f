"""PLO / ELIN messages built from the KITH examples: Pasientlogistikk, Helseopplysninger, reports,
Dialogmelding, Epikrise and AppRec (see :mod:`hub.simulate.xmlfill`).

The templates name the organisations of the KITH examples (St. Olavs hospital HER 59, Alvdal kommune HER
99387). :func:`with_parties` puts the real parties of a message in their place: the hospital and unit that
sent or received it and the patient's kommune, by the HER-ids of master data (``organisations.csv``), as a
real EPJ addresses its messages. No PLO message carries a stay id: the hub joins it to the stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from hub.events import Place
from hub.simulate.persons import Person
from hub.simulate.timefmt import oslo_local
from hub.simulate.xmlfill import (
    child,
    find_all,
    first,
    load,
    serialise,
    set_msginfo,
    set_parent,
    set_patient,
    set_status,
    template,
)

UT_TIL: dict[Place, tuple[str, str]] = {
    Place.HOME: ("1", "Bosted/arbeidssted"),
    Place.HOME_NURSING: ("1", "Bosted/arbeidssted"),
}
"""UtTil (code list 8408) the connector maps: 1 → HOME; anything else → OTHER."""
OTHER_UT_TIL = ("9", "Annet")


def _base(name: str, person: Person, msg_id: str, sent_at: datetime) -> etree._Element:
    root = load(name, person)
    set_msginfo(root, msg_id, oslo_local(sent_at))
    set_patient(root, person)
    return root


def _hendelse(root: etree._Element, code: str, at: datetime, text: str | None = None) -> None:
    for event in find_all(root, "TidsfestetHendelse"):
        kode = child(event, "Hendelsekode")
        if kode is None or kode.get("V") != code:
            continue
        when = child(event, "TidspunktForHendelse")
        if when is not None:
            when.set("V", oslo_local(at))
        anslag = child(event, "Anslag")
        if anslag is not None:
            anslag.text = "false"
        besk = child(event, "BeskrivelseAvHendelse")
        if besk is not None and text is not None:
            besk.text = text


@dataclass(frozen=True, slots=True)
class Parties:
    """Who sends and receives: the hospital (and unit) and the kommune, by HER-id and name."""

    hospital_her: str
    hospital_name: str
    unit_her: str | None
    kommune_her: str | None
    kommune_name: str | None


_TEMPLATE_HOSPITAL = frozenset({"59"})
_TEMPLATE_UNITS = frozenset({"90998", "91090", "94866"})
_TEMPLATE_KOMMUNE = frozenset({"99387"})
_TEMPLATE_KOMMUNE_UNITS = frozenset({"5078"})


def _set_org(organisation: etree._Element, her: str, name: str | None) -> None:
    for element in organisation:
        tag = etree.QName(element).localname
        if tag in {"OrganisationName", "Name"} and name is not None:
            element.text = name
        elif tag == "Ident" and (id_el := child(element, "Id")) is not None:
            id_el.text = her
        elif tag == "Id":
            element.text = her


def with_parties(payload: bytes, parties: Parties) -> bytes:
    """The message with the template's organisations replaced by ``parties`` (see the module docstring)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(payload, parser)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        if tag not in {"Organisation", "Inst", "Dept"}:
            continue
        ident = child(element, "Ident")
        id_el = child(ident, "Id") if ident is not None else child(element, "Id")
        current = (id_el.text or "").strip() if id_el is not None else ""
        if current in _TEMPLATE_HOSPITAL or (tag == "Inst" and _is_provider(element)):
            _set_org(element, parties.hospital_her, parties.hospital_name)
        elif current in _TEMPLATE_UNITS and parties.unit_her is not None:
            _set_org(element, parties.unit_her, None)
        elif current in _TEMPLATE_KOMMUNE and parties.kommune_her is not None:
            _set_org(element, parties.kommune_her, parties.kommune_name)
        elif current in _TEMPLATE_KOMMUNE_UNITS and parties.kommune_her is not None:
            _set_org(element, parties.kommune_her + "1", None)
    return serialise(root)


def _is_provider(inst: etree._Element) -> bool:
    """True for the Epikrise's ServProvider institution (the hospital that wrote it)."""
    hcp = inst.getparent()
    provider = hcp.getparent() if hcp is not None else None
    return provider is not None and etree.QName(provider).localname == "ServProvider"


def _out(root: etree._Element) -> bytes:
    return serialise(root)


def log_innlagt(person: Person, msg_id: str, sent_at: datetime, admitted_at: datetime) -> bytes:
    """LOG_INNLAGT: admission (Hendelsekode 1) and the notice to the kommune."""
    root = _base("log_innlagt", person, msg_id, sent_at)
    _hendelse(root, "1", admitted_at, "Pasienten er innlagt")
    return _out(root)


def log_utskrivningsklar(person: Person, msg_id: str, sent_at: datetime, ready_at: datetime) -> bytes:
    """LOG_UTSKRIVNINGSKLAR: declared ready (Hendelsekode 3) at ``ready_at``, notice sent at ``sent_at``."""
    root = _base("log_utskrivningsklar", person, msg_id, sent_at)
    _hendelse(root, "3", ready_at)
    return _out(root)


def log_utskrevet(
    person: Person, msg_id: str, sent_at: datetime, discharged_at: datetime, destination: Place
) -> bytes:
    """LOG_UTSKREVET: discharged (Hendelsekode 2) to ``destination``."""
    root = _base("log_utskrevet", person, msg_id, sent_at)
    _hendelse(root, "2", discharged_at, "Pasienten er utskrevet")
    code, name = UT_TIL.get(destination, OTHER_UT_TIL)
    ut_til = first(root, "UtTil")
    ut_til.set("V", code)
    ut_til.set("DN", name)
    if destination is Place.DEAD:
        state = first(root, "Uttilstand")
        state.set("V", "2")
        state.set("DN", "Død")
    return _out(root)


def varsel_innlagt(person: Person, msg_id: str, sent_at: datetime, *, cancels: str | None = None) -> bytes:
    """Helseopplysninger «varsel om innlagt pasient» (HELSEOPPL_SOKNAD); C cancels message ``cancels``."""
    root = _base("helseopplysninger_varsel", person, msg_id, sent_at)
    if cancels is not None:
        set_status(root, "C")
        set_parent(root, cancels)
    return _out(root)


def innleggelsesrapport(person: Person, msg_id: str, sent_at: datetime) -> bytes:
    """Innleggelsesrapport from the kommune's home nursing to the hospital."""
    return _out(_base("innleggelsesrapport", person, msg_id, sent_at))


def utskrivningsrapport(person: Person, msg_id: str, sent_at: datetime) -> bytes:
    """Utskrivningsrapport (nursing discharge report) from the hospital to the kommune."""
    return _out(_base("utskrivningsrapport", person, msg_id, sent_at))


def dialog_answer(
    person: Person, msg_id: str, sent_at: datetime, *, can_receive: bool, receive_date: date | None
) -> bytes:
    """Dialogmelding from the kommune on an utskrivningsklar patient: «kan ta imot» (with date) or not."""
    root = _base("dialogmelding", person, msg_id, sent_at)
    sender = first(first(root, "Sender"), "Organisation")
    name = child(sender, "OrganisationName")
    if name is not None:
        name.text = "Alvdal Kommune"
    ident = child(sender, "Ident")
    if ident is not None and (id_el := child(ident, "Id")) is not None:
        id_el.text = "99387"
    first(root, "Tema").text = "Utskrivningsklar pasient"
    if can_receive:
        when = f" {receive_date.strftime('%d.%m.%Y')}" if receive_date else ""
        text = f"Kommunen kan ta imot pasienten{when}."
    else:
        text = "Kommunen kan ikke ta imot pasienten ennå."
    first(root, "TekstNotatInnhold").text = text
    return _out(root)


def epikrise(
    person: Person,
    msg_id: str,
    sent_at: datetime,
    *,
    document_id: str,
    admitted_at: datetime | None,
    discharged_at: datetime | None,
) -> bytes:
    """Epikrise 1.2 (standalone ``Message``) with GenDate ``sent_at`` and the stay's start and end."""
    root = load("epikrise", person)
    set_patient(root, person)
    first(root, "GenDate").set("V", oslo_local(sent_at))
    first(root, "MsgId").text = msg_id
    first(root, "ServProvId").text = document_id
    for element in find_all(root, "IssueDate"):
        if element.get("V") is not None:
            element.set("V", oslo_local(sent_at))
    if admitted_at is not None:
        first(root, "StartDateTime").set("V", oslo_local(admitted_at))
    if discharged_at is not None:
        first(root, "EndDateTime").set("V", oslo_local(discharged_at))
    return serialise(root)


def apprec_avvist(
    msg_id: str, sent_at: datetime, *, original_msg_id: str, original_type: str, error_code: str = "E10"
) -> bytes:
    """AppRec status 2 (Avvist) for the message ``original_msg_id`` (code list 8221 ``error_code``)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    root = etree.fromstring(template("apprec_avvist"), parser)
    first(root, "GenDate").text = oslo_local(sent_at)
    next(e for e in root if etree.QName(e).localname == "Id").text = msg_id
    error = first(root, "Error")
    error.set("V", error_code)
    error.set("DN", "Meldingen er avvist")
    original = first(root, "OriginalMsgId")
    for element in original:
        name = etree.QName(element).localname
        if name == "MsgType":
            element.set("V", original_type)
            element.set("DN", original_type)
        elif name == "IssueDate":
            element.text = oslo_local(sent_at)
        elif name == "Id":
            element.text = original_msg_id
    return serialise(root)
