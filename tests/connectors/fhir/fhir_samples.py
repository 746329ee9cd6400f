"""Synthetic FHIR R4 Encounter/Patient documents for the FHIR connector tests (no real people)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from tests.connectors.hl7v2.hl7_samples import context, synthetic_number

FNR = synthetic_number(date(1938, 2, 11), female=False)
DNR = synthetic_number(date(1990, 6, 30), d_number=True)
FNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
__all__ = ["DNR", "FNR", "bundle", "context", "dumps", "encounter", "patient"]


def patient(number: str = FNR, *, system: str = FNR_SYSTEM, pid: str = "p1", **extra: Any) -> dict[str, Any]:
    """A Patient with a person number, a name, phone and a home address in kommune 5006."""
    return {
        "resourceType": "Patient",
        "id": pid,
        "text": {
            "status": "generated",
            "div": "<div xmlns='http://www.w3.org/1999/xhtml'>Ola Nordmann</div>",
        },
        "identifier": [{"system": system, "value": number}, {"system": "urn:local:mrn", "value": "MRN-777"}],
        "name": [{"family": "Nordmann", "given": ["Ola"]}],
        "telecom": [{"system": "phone", "value": "+4791234567"}],
        "gender": "male",
        "birthDate": "1938-02-11",
        "address": [
            {
                "use": "home",
                "line": ["Storgata 1"],
                "city": "Steinkjer",
                "postalCode": "7713",
                "district": "5006",
            }
        ],
        "contact": [{"name": {"family": "Nordmann", "given": ["Kari"]}}],
        **extra,
    }


def encounter(
    status: str = "in-progress",
    *,
    class_code: str = "EMER",
    start: str = "2024-03-01T10:30:00+01:00",
    end: str | None = None,
    admit_source: str | None = "hjem",
    disposition: str | None = None,
    locations: list[dict[str, Any]] | None = None,
    contained: bool = True,
    subject: dict[str, Any] | None = None,
    eid: str = "enc-1",
    version: str | None = "1",
    source: str | None = "urn:oid:2.16.578.1.12.4.1.2.12345#dips",
    **extra: Any,
) -> dict[str, Any]:
    """An Encounter (by default with a contained Patient and an active location MED3)."""
    enc: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": eid,
        "identifier": [{"system": "urn:local:visit", "value": "V-2024-0042"}],
        "status": status,
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": class_code},
        "subject": subject or {"reference": "#p1", "display": "Ola Nordmann"},
        "participant": [{"individual": {"reference": "Practitioner/9", "display": "Dr. Lise Lege"}}],
        "period": {"start": start, **({"end": end} if end else {})},
        "location": locations
        if locations is not None
        else [{"location": {"reference": "Location/MED3"}, "status": "active", "period": {"start": start}}],
        "serviceProvider": {
            "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "80000123"},
            "display": "St. Olavs hospital",
        },
        **extra,
    }
    meta: dict[str, Any] = {}
    if version:
        meta["versionId"] = version
    if source:
        meta["source"] = source
    if meta:
        enc["meta"] = meta
    hospitalization: dict[str, Any] = {}
    if admit_source:
        hospitalization["admitSource"] = {"coding": [{"system": "urn:local", "code": admit_source}]}
    if disposition:
        hospitalization["dischargeDisposition"] = {"coding": [{"code": disposition}]}
    if hospitalization:
        enc["hospitalization"] = hospitalization
    if contained:
        enc["contained"] = [patient()]
    return enc


def bundle(kind: str = "transaction", *, encounters: int = 1, bid: str | None = "b-1") -> dict[str, Any]:
    """A transaction or message Bundle with a Patient entry and ``encounters`` Encounter entries."""
    entries: list[dict[str, Any]] = []
    if kind == "message":
        entries.append(
            {
                "fullUrl": "urn:uuid:0c3a-hdr",
                "resource": {
                    "resourceType": "MessageHeader",
                    "id": "msg-1",
                    "eventCoding": {"system": "urn:local:events", "code": "encounter-update"},
                    "source": {"name": "DIPS", "endpoint": "urn:oid:2.16.578.1.12.4.1.2.12345"},
                    "sender": {"identifier": {"system": "urn:oid:2.16.578.1.12.4.1.2", "value": "80000123"}},
                    "author": {"reference": "Practitioner/9", "display": "Dr. Lise Lege"},
                },
            }
        )
    entries.append(
        {
            "fullUrl": "urn:uuid:pat-1",
            "resource": patient(pid="p1"),
            "request": {"method": "PUT", "url": "Patient/p1"},
        }
    )
    for i in range(encounters):
        enc = encounter(contained=False, subject={"reference": "urn:uuid:pat-1"}, eid=f"enc-{i}", source=None)
        enc["identifier"][0]["value"] = f"V-{i}"
        entries.append(
            {
                "fullUrl": f"urn:uuid:enc-{i}",
                "resource": enc,
                "request": {"method": "POST", "url": "Encounter"},
            }
        )
    if kind == "message":
        for entry in entries:
            entry.pop("request", None)
    result: dict[str, Any] = {"resourceType": "Bundle", "type": kind, "entry": entries}
    if bid:
        result["id"] = bid
    result["meta"] = {"source": "urn:oid:2.16.578.1.12.4.1.2.12345#dips"}
    return result


def dumps(document: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON bytes."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
