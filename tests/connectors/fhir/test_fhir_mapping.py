"""FHIR Encounter states map to canonical events as the table in connectors/fhir/encounter.py says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.fhir.format import FORMAT
from hub.errors import InputError, ParseError, UnsupportedMessage, ValidationError
from hub.events import Event, EventType, Hastegrad, Place, Sex, SourceKind, UnitKind, make_event_id
from tests.connectors.fhir.fhir_samples import (
    DNR,
    DNR_SYSTEM,
    FNR,
    bundle,
    context,
    dumps,
    encounter,
)

MOVED = [
    {
        "location": {"reference": "Location/AKM"},
        "status": "completed",
        "period": {"start": "2024-03-01T10:30:00+01:00", "end": "2024-03-01T14:00:00+01:00"},
    },
    {
        "location": {"reference": "Location/MED3"},
        "status": "active",
        "period": {"start": "2024-03-01T14:00:00+01:00"},
    },
]


def _events(document: dict[str, Any]) -> list[Event]:
    return list(FORMAT.accept(dumps(document), context()).events)


@pytest.mark.parametrize(
    ("status", "event_type"),
    [
        ("arrived", EventType.ADMITTED),
        ("triaged", EventType.ADMITTED),
        ("in-progress", EventType.ADMITTED),
        ("finished", EventType.DISCHARGED),
        ("cancelled", EventType.ADMISSION_CANCELLED),
        ("entered-in-error", EventType.ADMISSION_CANCELLED),
    ],
)
def test_status_maps_to_event_type(status: str, event_type: EventType) -> None:
    """Each mapped Encounter.status gives one event of its type about the Encounter.identifier episode."""
    (event,) = _events(encounter(status, end="2024-03-05T12:00:00+01:00"))
    assert event.event_type is event_type
    assert event.body.episode_id == "V-2024-0042"  # type: ignore[union-attr]
    assert event.event_id == make_event_id(
        SourceKind.FHIR, "urn:oid:2.16.578.1.12.4.1.2.12345#dips", "Encounter/enc-1/_history/1", event_type, 0
    )


@pytest.mark.parametrize("status", ["planned", "onleave"])
def test_planned_and_onleave_are_accepted_without_events(status: str) -> None:
    """planned and onleave Encounters are accepted and redacted but map to nothing."""
    accepted = FORMAT.accept(dumps(encounter(status)), context())
    assert accepted.events == []
    assert FNR.encode() not in accepted.redacted


def test_unknown_status_is_unsupported() -> None:
    """status unknown cannot be mapped and is rejected naming Encounter.status."""
    with pytest.raises(UnsupportedMessage) as info:
        FORMAT.accept(dumps(encounter("unknown")), context())
    assert info.value.location == "Encounter.status"


def test_location_history_gives_a_transfer() -> None:
    """An in-progress Encounter with a completed and an active location is a transfer between them."""
    (event,) = _events(encounter(locations=MOVED))
    assert event.event_type is EventType.TRANSFERRED
    assert (event.body.from_unit_id, event.body.to_unit_id) == ("AKM", "MED3")  # type: ignore[union-attr]
    assert event.occurred_at == datetime(2024, 3, 1, 13, 0, tzinfo=UTC)
    assert event.organisation.unit_id == "MED3"


@pytest.mark.parametrize(
    ("class_code", "priority", "expected"),
    [("EMER", None, Hastegrad.AKUTT), ("IMP", None, Hastegrad.PLANLAGT), ("IMP", "EM", Hastegrad.AKUTT)],
)
def test_class_and_priority_give_hastegrad(
    class_code: str, priority: str | None, expected: Hastegrad
) -> None:
    """class EMER or priority EM/UR is akutt; otherwise planlagt."""
    extra = {"priority": {"coding": [{"code": priority}]}} if priority else {}
    (event,) = _events(encounter(class_code=class_code, **extra))
    assert event.body.hastegrad is expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("hosp-trans", Place.HOSPITAL),
        ("gp", Place.FASTLEGE),
        ("nursing", Place.SYKEHJEM),
        ("KAD", Place.KAD),
        ("legevakt", Place.LEGEVAKT),
        ("zz", Place.UNKNOWN),
        (None, Place.UNKNOWN),
    ],
)
def test_admit_source_gives_from_place(code: str | None, expected: Place) -> None:
    """hospitalization.admitSource (HL7 admit-source or local word) gives the from-place."""
    (event,) = _events(encounter(admit_source=code))
    assert event.body.from_place is expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("home", Place.HOME),
        ("snf", Place.SYKEHJEM),
        ("exp", Place.DEAD),
        ("psy", Place.HOSPITAL),
        ("kad", Place.KAD),
        ("hjspl", Place.HOME_NURSING),
        ("zz", Place.OTHER),
        (None, Place.UNKNOWN),
    ],
)
def test_discharge_disposition_gives_destination(code: str | None, expected: Place) -> None:
    """hospitalization.dischargeDisposition gives the destination; unknown codes OTHER, none UNKNOWN."""
    (event,) = _events(encounter("finished", end="2024-03-05T12:00:00+01:00", disposition=code))
    assert event.body.destination is expected  # type: ignore[union-attr]
    assert event.occurred_at == datetime(2024, 3, 5, 11, 0, tzinfo=UTC)


def test_envelope_carries_patient_and_organisation() -> None:
    """Birth year and sex come from the number, kommune from the address, unit and HER-id from the stay."""
    (event,) = _events(encounter())
    assert event.patient is not None
    assert (event.patient.birth_year, event.patient.sex, event.patient.bostedskommune) == (
        1938,
        Sex.MALE,
        "5006",
    )
    assert (event.organisation.unit_id, event.organisation.unit_kind) == ("MED3", UnitKind.AKUTTMOTTAK)
    assert event.organisation.her_id == "80000123"
    assert event.source.sender_her_id == "80000123"


def test_municipality_extension_wins_over_missing_district() -> None:
    """The no-basis municipality-code extension (code list 3402) gives the bostedskommune."""
    doc = encounter()
    doc["contained"][0]["address"] = [
        {
            "use": "home",
            "extension": [
                {
                    "url": "http://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode",
                    "valueCoding": {"system": "urn:oid:2.16.578.1.12.4.1.1.3402", "code": "0301"},
                }
            ],
        }
    ]
    (event,) = _events(doc)
    assert event.patient is not None
    assert event.patient.bostedskommune == "0301"


def test_d_number_and_subject_identifier_are_accepted() -> None:
    """A D-nummer given only as Encounter.subject.identifier identifies the patient."""
    doc = encounter(contained=False, subject={"identifier": {"system": DNR_SYSTEM, "value": DNR}})
    (event,) = _events(doc)
    assert event.patient is not None
    assert event.patient.birth_year == 1990


def test_transaction_and_message_bundles() -> None:
    """A transaction Bundle maps each Encounter entry (seq in order); a message Bundle uses MessageHeader."""
    events = _events(bundle("transaction", encounters=2))
    assert [e.body.episode_id for e in events] == ["V-0", "V-1"]  # type: ignore[union-attr]
    assert {e.source.message_id for e in events} == {"b-1"}
    assert len({e.event_id for e in events}) == 2
    (first, _) = _events(bundle("message", encounters=2))
    assert (first.source.message_id, first.source.system) == ("msg-1", "DIPS")


def test_document_without_ids_gets_a_stable_keyed_id() -> None:
    """Without versionId the message id is a keyed hash, equal for equal content regardless of formatting."""
    doc = encounter(version=None)
    first = FORMAT.accept(dumps(doc), context())
    again = FORMAT.accept(dumps(doc).replace(b", ", b",   "), context())
    assert first.message_id.startswith("hub-")
    assert first.message_id == again.message_id
    assert FORMAT.to_events(first.redacted, context()) == list(first.events)


@pytest.mark.parametrize(
    ("mutate", "error", "location"),
    [
        (lambda d: d.pop("status"), ValidationError, "Encounter.status"),
        (
            lambda d: d["period"].update(start="2024-03-01T10:30:00"),
            ValidationError,
            "Encounter.period.start",
        ),
        (lambda d: d.pop("subject"), ValidationError, "Encounter.subject"),
        (
            lambda d: d["contained"][0]["identifier"].pop(0),
            ValidationError,
            "Encounter.contained[0].identifier",
        ),
        (lambda d: d.update(resourceType="Observation"), UnsupportedMessage, "resourceType"),
        (lambda d: d["meta"].pop("source"), ValidationError, "Encounter.meta.source"),
    ],
)
def test_errors_name_the_element(mutate: Any, error: type[InputError], location: str) -> None:
    """Missing or malformed elements are InputErrors whose location is the FHIRPath of the element."""
    doc = encounter()
    mutate(doc)
    with pytest.raises(error) as info:
        FORMAT.accept(dumps(doc), context())
    assert info.value.location == location


def test_invalid_person_number_is_an_identity_error() -> None:
    """A fødselsnummer with a wrong check digit is rejected with code identity at its identifier."""
    bad = FNR[:-1] + str((int(FNR[-1]) + 1) % 10)
    doc = encounter()
    doc["contained"][0]["identifier"][0]["value"] = bad
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(dumps(doc), context())
    assert (info.value.code, info.value.location) == (
        "identity",
        "Encounter.contained[0].identifier[0].value",
    )


def test_not_json_is_a_parse_error() -> None:
    """Bytes that are not JSON are a ParseError."""
    with pytest.raises(ParseError):
        FORMAT.accept(b"<Encounter/>", context())


def test_detect() -> None:
    """detect() recognises FHIR Encounter/Bundle JSON and not HL7 v2."""
    assert FORMAT.detect(dumps(encounter()))
    assert FORMAT.detect(dumps(bundle()))
    assert not FORMAT.detect(b"MSH|^~\\&|")
