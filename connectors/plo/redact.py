"""Redaction of ELIN messages for the raw topic.

What is changed (in every namespace: MsgHead, PLO, felleskomponent1, Dialogmelding, Epikrise, AppRec):

* person numbers: the ``Id`` of every ``Ident`` whose ``TypeId`` is FNR/DNR/HNR/FHN (code list 8116), and the
  Epikrise ``OffId`` with such a ``TypeOffId``, become the person's pseudonym token ``PSN1.…``; an
  11-digit run anywhere in text or attributes that validates as a person number becomes its token too;
* names: ``FamilyName``, ``GivenName``, ``MiddleName``, ``NavnMottaker`` and the ``Name`` of a Patient,
  Person, HCProf, HCPerson or Epikrise ``PatientRelParty`` are blanked (patients, relatives and health
  personnel alike); the next of kin's ``RelPartyOffId`` is removed;
* ``DateOfBirth`` is removed (birth year and sex survive in the token);
* addresses: ``StreetAdr``, ``PostalCode``, ``City``, ``Postbox`` are blanked, ``CityDistr`` removed;
  the address ``Type`` and ``County`` (kommunenummer = bostedskommune) are kept;
* ``TeleCom`` elements and person/organisation ``TeleAddress`` (phone, e-mail) are removed;
* comments and processing instructions are dropped by the parser.

What remains: organisation names and HER-ids, HPR-numbers of health personnel, codes, dates of events, and
free text (BeskrivelseAvHendelse, Merknad, journal notes, Dialogmelding text) which may mention people in
prose. The result still validates against its schemas, and maps to the same events as the original.
"""

from __future__ import annotations

import re

from lxml import etree

from connectors.plo.msghead import PERSON_ID_TYPES
from connectors.plo.xmlsafe import attr, child, local
from hub.errors import HubError
from hub.identity import Pseudonymiser, is_token

NAME_ELEMENTS = frozenset({"FamilyName", "GivenName", "MiddleName", "NavnMottaker"})
PERSON_PARENTS = frozenset({"Patient", "Person", "HCProf", "HCPerson", "PatientRelParty"})
"""Whose ``Name`` is blanked; ``PatientRelParty`` is Epikrise's next of kin."""
BLANK_ADDRESS_PARTS = frozenset({"StreetAdr", "PostalCode", "City", "Postbox"})
REMOVED = frozenset({"DateOfBirth", "TeleCom", "CityDistr", "RelPartyOffId"})
"""Removed elements; ``RelPartyOffId`` is the next of kin's official id (a person number)."""
UNRESOLVABLE = "REDACTED"
_NUMBER = re.compile(r"(?<!\d)(\d{6})\s?(\d{5})(?!\d)")


class Redactor:
    """Redacts one document with a pseudonymiser (tokens for person numbers)."""

    def __init__(self, pseudonymiser: Pseudonymiser) -> None:
        self.pseudonymiser = pseudonymiser

    def token(self, identifier: str) -> str:
        """The token for a person number; tokens stay as they are; invalid numbers become REDACTED."""
        if is_token(identifier):
            return identifier.strip()
        try:
            return self.pseudonymiser.token_for(identifier)
        except HubError:
            return UNRESOLVABLE

    def _free_text(self, value: str) -> str:
        def swap(match: re.Match[str]) -> str:
            try:
                return self.pseudonymiser.token_for(match.group(1) + match.group(2))
            except HubError:
                return match.group(0)

        return _NUMBER.sub(swap, value)

    def redact(self, root: etree._Element) -> bytes:
        """Redact ``root`` in place and return the serialised document (UTF-8)."""
        doomed = [e for e in root.iter() if isinstance(e.tag, str) and self._visit(e)]
        for element in doomed:
            holder = element.getparent()
            if holder is not None:
                holder.remove(element)
        return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"))

    def _visit(self, element: etree._Element) -> bool:
        """Redact one element in place; True if it must be removed."""
        name = local(element.tag)
        parent = element.getparent()
        parent_name = local(parent.tag) if parent is not None else ""
        if name in REMOVED or (name == "TeleAddress" and parent_name == "Address"):
            return True
        if (
            name in NAME_ELEMENTS
            or (name == "Name" and parent_name in PERSON_PARENTS)
            or (name in BLANK_ADDRESS_PARTS and parent_name == "Address")
        ):
            self._blank(element)
        elif name == "Ident" and attr(element, "TypeId") in PERSON_ID_TYPES:
            number = child(element, "Id")
            if number is not None and number.text:
                number.text = self.token(number.text)
        elif name == "OffId" and parent is not None and attr(parent, "TypeOffId") in PERSON_ID_TYPES:
            if element.text:
                element.text = self.token(element.text)
        else:
            self._scan(element)
        return False

    def _scan(self, element: etree._Element) -> None:
        """Replace person numbers written in the element's text, tail and attributes."""
        if element.text and _NUMBER.search(element.text):
            element.text = self._free_text(element.text)
        if element.tail and _NUMBER.search(element.tail):
            element.tail = self._free_text(element.tail)
        for key, value in element.attrib.items():
            if _NUMBER.search(str(value)):
                element.set(key, self._free_text(str(value)))

    @staticmethod
    def _blank(element: etree._Element) -> None:
        for sub in list(element):
            element.remove(sub)
        element.text = ""
