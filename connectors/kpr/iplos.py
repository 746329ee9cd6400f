"""IPLOS extracts (``IPLOS(2018)rev2018_10_10.xsd``, namespace ``http://www.npr.no/xmlstds/iplos/2018``).

Parsing is safe: defusedxml forbids DTDs, entity declarations and external references (no network); the
tree is then validated offline against the copy of the schema in ``schemas/kpr/``.

What maps: every ``PERSON/TJENESTE`` with a ``tjFraDato`` becomes one :class:`ServiceRecord` (tjenestetype
``tjTjenType``, start ``tjFraDato``, end ``tjTilDato``; dates as midnight Europe/Oslo). A TJENESTE without
``tjFraDato`` (a decision without a service period) has no start to report and maps to no event; it stays in
the raw topic. A bad record rejects the whole extract, with its location.

Person key. The 2018 extract carries no person number (it moved to the separate identity file, linked by
``iiLopenr``); a person is the local integer ``pePeID``. The hub therefore keys IPLOS events by a *local
pseudonym*: keyed HMAC of ``iplos:<iiKomnr>:<iiSysID>:<pePeID>`` (active key; sex from ``peKjonn``,
bostedskommune ``peKomnr``, no birth year — ``peAlder`` is an age, not a year). These events count towards bed
and service metrics but cannot join a hospital pathway; the CSV feed, which carries the person number, can.

Redaction: the extract holds no person number; the contact persons' ``Navn``, ``Telefon`` and ``Epost`` in
``INNHINFO/iiKontakt`` are blanked (the schema keeps the elements, empty).
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET  # parsing goes through defusedxml; ET only types and serialises
from dataclasses import dataclass
from datetime import date
from typing import Final
from urllib.parse import quote

import defusedxml
import defusedxml.ElementTree
import xmlschema

import connectors.common.linear_xsd  # noqa: F401 - patterns of the IPLOS schema run on RE2 too
from connectors.formats import MappingContext
from connectors.kpr.records import ServiceRecord, check_code, local_midnight
from hub.errors import ParseError, ValidationError
from hub.events import Patient, Sex
from hub.settings import REPO_ROOT

NS: Final = "http://www.npr.no/xmlstds/iplos/2018"
XSD_PATH: Final = REPO_ROOT / "schemas" / "kpr" / "IPLOS(2018)rev2018_10_10.xsd"
_N: Final = {"i": NS}
SEX: Final = {"M": Sex.MALE, "K": Sex.FEMALE}
CONTACT_FIELDS: Final = ("Navn", "Telefon", "Epost")
KOMMUNE: Final = re.compile(r"^[0-9]{4}$")
CODE: Final = re.compile(r"^[0-9]{1,3}$")


@dataclass(frozen=True, slots=True)
class Extract:
    """A validated IPLOS extract: its header fields, records and redacted bytes."""

    kommunenummer: str
    system_id: str
    lopenr: str
    records: list[ServiceRecord]
    redacted: bytes

    @property
    def message_id(self) -> str:
        """Id of the extract: kommune, sending system and løpenummer."""
        return f"IPLOS-{self.kommunenummer}-{self.system_id}-{self.lopenr}"


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """The IPLOS schema, loaded once from the local copy (no network)."""
    return xmlschema.XMLSchema(str(XSD_PATH), allow="local")


def parse_xml(payload: bytes) -> ET.Element:
    """Safely parse ``payload``; raise :class:`ParseError` if it is not well-formed or declares a DTD."""
    try:
        root: ET.Element = defusedxml.ElementTree.fromstring(
            payload, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except ET.ParseError as exc:
        raise ParseError(f"not well-formed XML: {exc}") from exc
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(f"XML with a DTD, entities or external references is not accepted: {exc}") from exc
    except (LookupError, ValueError) as exc:  # an unknown encoding declaration, bad characters
        raise ParseError(f"not parseable XML: {str(exc)[:120]}") from exc
    return root


def validate(root: ET.Element) -> None:
    """Validate against the IPLOS schema; raise :class:`ValidationError` naming the first error's path."""
    if root.tag != f"{{{NS}}}IPLOS":
        raise ValidationError(f"root element must be IPLOS in namespace {NS}", location="/")
    error = next(iter(schema().iter_errors(root, use_location_hints=False)), None)
    if error is not None:
        reason = error.reason or "does not match the schema"
        raise ValidationError(f"IPLOS extract breaks its schema: {reason}", location=error.path or "/")


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, _N)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def _date(value: str, location: str) -> date:
    try:
        return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError as exc:
        raise ValidationError(f"not a valid date {value!r}: {exc}", location=location) from exc


def _patient(person: ET.Element, header: tuple[str, str], ctx: MappingContext) -> Patient:
    kommune, system_id = header
    pseudonymiser = ctx.pseudonymiser
    local_id = quote(f"iplos:{kommune}:{system_id}:{person.get('pePeID')}", safe=":")  # ASCII for the HMAC
    pseudonym = pseudonymiser.pseudonym_of(local_id)
    bosted = _text(person, "i:peKomnr")
    return Patient(
        pseudonym=pseudonym,
        key_id=pseudonymiser.active_key_id,
        sex=SEX.get(_text(person, "i:peKjonn") or "", Sex.UNKNOWN),
        bostedskommune=bosted if bosted and KOMMUNE.match(bosted) else None,
    )


def _records(root: ET.Element, ctx: MappingContext) -> list[ServiceRecord]:
    kommune = _text(root, "i:INNHINFO/i:iiKomnr") or ""
    system_id = _text(root, "i:INNHINFO/i:iiSysID") or ""
    if not KOMMUNE.match(kommune):
        raise ValidationError("iiKomnr must be 4 digits", location="/IPLOS/INNHINFO/iiKomnr")
    lopenr = _text(root, "i:INNHINFO/i:iiLopenr") or ""
    if not 0 < len(lopenr) <= 100:
        raise ValidationError("iiLopenr must be 1-100 characters", location="/IPLOS/INNHINFO/iiLopenr")
    records: list[ServiceRecord] = []
    seen: set[str] = set()
    for p_index, person in enumerate(root.iterfind("i:PERSON", _N), start=1):
        patient = _patient(person, (kommune, system_id), ctx)
        for t_index, service in enumerate(person.iterfind("i:TJENESTE", _N), start=1):
            location = f"/IPLOS/PERSON[{p_index}]/TJENESTE[{t_index}]"
            key = f"{kommune}/{person.get('pePeID')}/{service.get('tjTjID')}"
            if key in seen:
                raise ValidationError(
                    f"tjTjID {service.get('tjTjID')} repeats for this person", location=location
                )
            seen.add(key)
            code_text = _text(service, "i:tjTjenType") or ""
            if not CODE.match(code_text):
                raise ValidationError(
                    "tjTjenType must be a code list 9151 number", location=f"{location}/tjTjenType"
                )
            code = int(code_text)
            check_code(code, f"{location}/tjTjenType")
            start_text = _text(service, "i:tjFraDato")
            if start_text is None:
                continue  # a decision without a service period: nothing has started (module docstring)
            start = local_midnight(_date(start_text, f"{location}/tjFraDato"))
            end_text = _text(service, "i:tjTilDato")
            end = local_midnight(_date(end_text, f"{location}/tjTilDato")) if end_text else None
            if end is not None and end < start:
                raise ValidationError("tjTilDato is before tjFraDato", location=f"{location}/tjTilDato")
            records.append(
                ServiceRecord(
                    key=key,
                    location=location,
                    patient=patient,
                    kommunenummer=kommune,
                    tjenestetype=code,
                    start=start,
                    end=end,
                    unit_id=_text(service, "i:tjInstOrgnr") or None,
                )
            )
    return records


def _redact(root: ET.Element) -> bytes:
    for contact in root.iterfind("i:INNHINFO/i:iiKontakt", _N):
        for name in CONTACT_FIELDS:
            field = contact.find(f"i:{name}", _N)
            if field is not None:
                field.text = ""
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def parse(payload: bytes, ctx: MappingContext) -> Extract:
    """Parse, validate and redact an IPLOS extract and read its records."""
    root = parse_xml(payload)
    validate(root)
    records = _records(root, ctx)
    return Extract(
        kommunenummer=_text(root, "i:INNHINFO/i:iiKomnr") or "",
        system_id=_text(root, "i:INNHINFO/i:iiSysID") or "",
        lopenr=_text(root, "i:INNHINFO/i:iiLopenr") or "",
        records=records,
        redacted=_redact(root),
    )
