"""Redaction of a FHIR document before it is written to ``samhandling.raw.fhir``.

* every Identifier with the fnr or D-nr system (anywhere: Patient.identifier, Encounter.subject.identifier …)
  keeps its system, its value replaced by the pseudonym token ``PSN1.<key>.<pseudonym>.<year>.<sex>``;
* Patient: other identifiers (local patient ids) dropped; ``name``, ``telecom``, ``photo``, ``contact``,
  ``link``, ``extension``/``modifierExtension`` removed; ``birthDate`` reduced to the year;
  ``deceasedDateTime`` becomes ``deceasedBoolean: true``; each ``address`` reduced to ``use``, a 4-digit
  ``district`` and the municipality-code extension (kommunenummer) — street, city, postal code removed;
* every resource loses its ``text`` narrative (it often repeats the name); Encounter loses ``participant``
  and ``subject.display``; MessageHeader loses ``author`` and ``enterer``; references to Patient,
  Practitioner or RelatedPerson lose their ``display``;
* only Patient, Encounter, MessageHeader, Location and Organization resources are kept (Bundle entries and
  contained resources of other types are dropped);
* when the sender gave no message id, the keyed content id is recorded in ``meta.tag``
  (system ``urn:samhandling-hub:message-id``), so the redacted copy maps to the same event ids.

* any other string holding a valid person number (``Patient.id``, ``subject.reference``, ``fullUrl``,
  ``request.url``, ``ifNoneExist``, free text) has it replaced by the same token, so references still resolve.

Free text elsewhere (e.g. ``Encounter.reasonCode.text``) remains; it is clinical, not identifying by design.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from connectors.fhir import codes
from connectors.fhir.document import Document
from connectors.formats import MappingContext
from hub.errors import IdentityError, ValidationError
from hub.identity.masking import replace_person_numbers

KEPT_RESOURCES = frozenset({"Patient", "Encounter", "MessageHeader", "Location", "Organization"})
PATIENT_REMOVED = ("name", "telecom", "photo", "contact", "link", "extension", "modifierExtension")
PERSON_REFERENCE = re.compile(r"(^|/)(Patient|Practitioner|PractitionerRole|RelatedPerson)/")
KOMMUNE = re.compile(r"^\d{4}$")


def redact(doc: Document, ctx: MappingContext) -> bytes:
    """The redacted document as compact UTF-8 JSON."""
    data = copy.deepcopy(doc.data)
    if not doc.message_id_given:
        tags = data.setdefault("meta", {}).setdefault("tag", [])
        tags.append({"system": codes.MESSAGE_ID_TAG, "code": doc.message_id})
    if not doc.system_given:
        data.setdefault("meta", {})["source"] = doc.system
    _resource(data, data["resourceType"], ctx)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _resource(res: dict[str, Any], path: str, ctx: MappingContext) -> None:
    kind = res.get("resourceType")
    res.pop("text", None)
    if kind == "Bundle":
        entries = [
            e for e in res.get("entry") or [] if _kept(e.get("resource") if isinstance(e, dict) else None)
        ]
        res["entry"] = entries
        for i, entry in enumerate(entries):
            if isinstance(entry.get("resource"), dict):
                _resource(entry["resource"], f"{path}.entry[{i}].resource", ctx)
    if isinstance(res.get("contained"), list):
        res["contained"] = [c for c in res["contained"] if _kept(c)]
        if not res["contained"]:
            del res["contained"]
        for i, child in enumerate(res.get("contained") or []):
            _resource(child, f"{path}.contained[{i}]", ctx)
    if kind == "Patient":
        _patient(res)
    elif kind == "Encounter":
        res.pop("participant", None)
        if isinstance(res.get("subject"), dict):
            res["subject"].pop("display", None)
    elif kind == "MessageHeader":
        res.pop("author", None)
        res.pop("enterer", None)
    _tokens(res, path, ctx)


def _kept(resource: Any) -> bool:
    return isinstance(resource, dict) and resource.get("resourceType") in KEPT_RESOURCES


def _patient(res: dict[str, Any]) -> None:
    for key in PATIENT_REMOVED:
        res.pop(key, None)
    ids = [
        i
        for i in res.get("identifier") or []
        if isinstance(i, dict) and i.get("system") in codes.PERSON_SYSTEMS
    ]
    if ids:
        res["identifier"] = ids
    else:
        res.pop("identifier", None)
    birth = str(res.get("birthDate") or "")[:4]
    if birth.isdigit() and len(birth) == 4:
        res["birthDate"] = birth
    else:
        res.pop("birthDate", None)
    if "deceasedDateTime" in res:
        del res["deceasedDateTime"]
        res["deceasedBoolean"] = True
    addresses = [a for a in (_address(a) for a in res.get("address") or [] if isinstance(a, dict)) if a]
    if addresses:
        res["address"] = addresses
    else:
        res.pop("address", None)


def _address(address: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    district = str(address.get("district") or "").strip()
    if KOMMUNE.match(district):
        kept["district"] = district
    extensions = [
        e
        for e in address.get("extension") or []
        if isinstance(e, dict)
        and (
            e.get("url") in codes.KOMMUNE_EXTENSIONS
            or (e.get("valueCoding") or {}).get("system") == codes.KOMMUNE_SYSTEM
        )
    ]
    if extensions:
        kept["extension"] = extensions
    if kept and address.get("use"):
        kept["use"] = address["use"]
    return kept


def _tokens(value: Any, path: str, ctx: MappingContext) -> None:
    """Replace person numbers in Identifiers with tokens; drop displays of references to persons."""
    if isinstance(value, dict):
        if value.get("system") in codes.PERSON_SYSTEMS and isinstance(value.get("value"), str):
            try:
                value["value"] = ctx.pseudonymiser.token_for(value["value"])
            except IdentityError as exc:
                raise ValidationError(
                    f"invalid person number: {exc}", code="identity", location=f"{path}.value"
                ) from exc
        reference = value.get("reference")
        if isinstance(reference, str) and PERSON_REFERENCE.search(reference):
            value.pop("display", None)
        for key, child in value.items():
            if isinstance(child, str):
                value[key] = _numbers_in_text(child, ctx)
            elif key != "resourceType":
                _tokens(child, f"{path}.{key}", ctx)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            if isinstance(child, str):
                value[i] = _numbers_in_text(child, ctx)
            else:
                _tokens(child, f"{path}[{i}]", ctx)


def _numbers_in_text(text: str, ctx: MappingContext) -> str:
    """Person numbers written anywhere else (``Patient.id``, ``subject.reference``, ``fullUrl``,
    ``request.url``, ``ifNoneExist``, free text) become their tokens; the same number gives the same token,
    so references inside the document still resolve."""
    return replace_person_numbers(text, ctx.pseudonymiser.token_for)
