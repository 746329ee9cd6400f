"""The ambulance format: schema, mapping per status, patient keys, redaction and rejection of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.ambulance.format import FORMAT
from connectors.ambulance.model import MissionEvent, schema_text
from connectors.formats import MappingContext, MessageFormat
from hub.errors import InputError, ParseError, ValidationError
from hub.events import (
    AmbulanceHastegrad,
    Area,
    EventType,
    Mission,
    Place,
    SourceKind,
    UnitKind,
    make_event_id,
)
from hub.identity import Pseudonymiser
from hub.settings import REPO_ROOT
from tests.connectors.ambulance.messages import PATIENT, mission, payload

SCHEMA_FILE = REPO_ROOT / "schemas" / "ambulance" / "mission-event.schema.json"
STATUSES = ["CALL_RECEIVED", "DISPATCHED", "ON_SCENE", "LEFT_SCENE", "ARRIVED", "CANCELLED"]


def test_schema_file_equals_the_models_schema() -> None:
    """The published JSON Schema file is exactly what the pydantic model generates."""
    assert Path(SCHEMA_FILE).read_text(encoding="utf-8") == schema_text()


def test_schema_file_is_draft_2020_12_and_lists_the_statuses() -> None:
    """The schema declares draft 2020-12 and enumerates every mission status."""
    schema = json.loads(Path(SCHEMA_FILE).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["status"]["enum"] == STATUSES
    assert set(schema["required"]) >= {"message_id", "mission_id", "status", "occurred_at", "amk_central"}


def test_format_implements_the_protocol() -> None:
    """FORMAT satisfies the MessageFormat protocol with the ambulance name and source kind."""
    assert isinstance(FORMAT, MessageFormat)
    assert (FORMAT.name, FORMAT.source_kind, FORMAT.content_type) == (
        "ambulance",
        SourceKind.AMBULANCE,
        "application/json",
    )


@pytest.mark.parametrize("status", STATUSES)
def test_each_status_maps_to_its_event_type(status: str, ctx: MappingContext) -> None:
    """Each mission status becomes the canonical event of the same name with a Mission body."""
    accepted = FORMAT.accept(payload(status), ctx)
    (event,) = accepted.events
    assert event.event_type is EventType(status)
    assert event.event_id == make_event_id(
        SourceKind.AMBULANCE, "AMK AMK-TRD", f"AMK1-M42-{status}", event.event_type
    )
    assert event.occurred_at == datetime(2024, 3, 1, 13, 5, tzinfo=UTC)
    assert event.organisation.unit_kind is UnitKind.AMK
    assert event.organisation.kommunenummer == "5001"
    assert isinstance(event.body, Mission)
    assert event.body.mission_id == "M42"
    assert event.body.area is Area.TETTSTED
    if status == "ARRIVED":
        assert event.body.destination is Place.HOSPITAL
        assert event.body.destination_unit_id == "STO-AKM"
    else:
        assert event.body.destination is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("akutt", AmbulanceHastegrad.AKUTT),
        ("rød", AmbulanceHastegrad.AKUTT),
        ("haster", AmbulanceHastegrad.HASTER),
        ("gul", AmbulanceHastegrad.HASTER),
        ("vanlig", AmbulanceHastegrad.VANLIG),
        ("grønn", AmbulanceHastegrad.VANLIG),
    ],
)
def test_hastegrad_names_and_colours(name: str, expected: AmbulanceHastegrad, ctx: MappingContext) -> None:
    """Both the Norwegian names and the colours of hastegrad are accepted and mapped."""
    (event,) = FORMAT.accept(payload(hastegrad=name), ctx).events
    assert isinstance(event.body, Mission)
    assert event.body.hastegrad is expected


@pytest.mark.parametrize(
    ("kind", "place"),
    [
        ("akuttmottak", Place.HOSPITAL),
        ("kad", Place.KAD),
        ("legevakt", Place.LEGEVAKT),
        ("other", Place.OTHER),
    ],
)
def test_arrival_destinations(kind: str, place: Place, ctx: MappingContext) -> None:
    """The ARRIVED destination kinds map to canonical places."""
    (event,) = FORMAT.accept(payload("ARRIVED", destination={"kind": kind}), ctx).events
    assert isinstance(event.body, Mission)
    assert event.body.destination is place


def test_rural_area(ctx: MappingContext) -> None:
    """area rural maps to Area.RURAL."""
    (event,) = FORMAT.accept(payload(area="rural"), ctx).events
    assert isinstance(event.body, Mission)
    assert event.body.area is Area.RURAL


def test_known_patient_is_pseudonymised(ctx: MappingContext, pseudonymiser: Pseudonymiser) -> None:
    """With a person number the event carries the person's pseudonym, birth year and sex."""
    (event,) = FORMAT.accept(payload(), ctx).events
    person = pseudonymiser.person(PATIENT)
    assert event.patient is not None
    assert event.patient.pseudonym == person.pseudonym
    assert event.patient.birth_year == 1938


def test_unknown_patient_gets_one_mission_pseudonym(ctx: MappingContext) -> None:
    """Without a patient number the events of one mission share a mission pseudonym; other missions differ."""
    first = FORMAT.accept(payload("CALL_RECEIVED", patient_id=None), ctx).events[0]
    second = FORMAT.accept(payload("ON_SCENE", patient_id=None), ctx).events[0]
    other = FORMAT.accept(payload("ON_SCENE", patient_id=None, mission_id="M43", message_id="X"), ctx).events[
        0
    ]
    assert first.patient is not None
    assert second.patient is not None
    assert other.patient is not None
    assert first.patient.pseudonym == second.patient.pseudonym != other.patient.pseudonym
    assert first.patient.key_id == "dev1"


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("with_patient", [True, False])
def test_redacted_payload_maps_to_the_same_events(
    status: str, with_patient: bool, ctx: MappingContext
) -> None:
    """to_events(accept(p).redacted) equals accept(p).events, with and without a patient number."""
    raw = payload(status) if with_patient else payload(status, patient_id=None)
    accepted = FORMAT.accept(raw, ctx)
    assert FORMAT.to_events(accepted.redacted, ctx) == list(accepted.events)
    assert FORMAT.to_events(raw, ctx) == list(accepted.events)


def test_redacted_payload_has_no_person_number(ctx: MappingContext, pseudonymiser: Pseudonymiser) -> None:
    """The redacted payload holds the person's token instead of the fødselsnummer."""
    accepted = FORMAT.accept(payload(), ctx)
    assert PATIENT.encode() not in accepted.redacted
    assert json.loads(accepted.redacted)["patient_id"] == pseudonymiser.person(PATIENT).token


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"occurred_at": "2024-03-01T14:05:00"}, "occurred_at"),
        ({"occurred_at": "2024-03-01"}, "occurred_at"),
        ({"status": "EN_ROUTE"}, "status"),
        ({"hastegrad": "AKUTT"}, "hastegrad"),
        ({"area": "city"}, "area"),
        ({"kommunenummer": "501"}, "kommunenummer"),
        ({"mission_id": None}, "mission_id"),
        ({"patient_name": "Kari Nordmann"}, "patient_name"),
        ({"destination": {"kind": "kad"}}, "(root)"),
        ({"patient_id": "12345678901"}, "patient_id"),
        ({"patient_id": "０１０１０１１２３４５"}, "patient_id"),
        ({"kommunenummer": "５００１"}, "kommunenummer"),
    ],
)
def test_bad_messages_are_rejected_with_their_location(
    overrides: dict[str, object], location: str, ctx: MappingContext
) -> None:
    """Schema or identity violations raise ValidationError naming the offending field."""
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(payload(**overrides), ctx)  # type: ignore[arg-type]
    assert info.value.location == location
    assert "12345678901" not in info.value.reason


def test_arrival_without_destination_is_rejected(ctx: MappingContext) -> None:
    """An ARRIVED event must say where the patient was delivered."""
    raw = json.dumps({k: v for k, v in mission("ARRIVED").items() if k != "destination"}).encode()
    with pytest.raises(ValidationError, match="needs a destination"):
        FORMAT.accept(raw, ctx)


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[1, 2]", b"null", b'"text"'])
def test_not_a_json_object_is_rejected(raw: bytes, ctx: MappingContext) -> None:
    """Bytes that are not one JSON object raise a ParseError or ValidationError."""
    with pytest.raises((ParseError, ValidationError)):
        FORMAT.accept(raw, ctx)


def test_detect() -> None:
    """detect recognises a mission event and refuses XML or CSV."""
    assert FORMAT.detect(payload())
    assert not FORMAT.detect(b"<IPLOS/>")
    assert not FORMAT.detect(b"record_id,person_id\n")


def test_model_rejects_naive_datetime_objects() -> None:
    """A datetime without tzinfo given directly to the model is rejected too."""
    data = mission()
    data["occurred_at"] = datetime(2024, 3, 1, 14, 5)  # noqa: DTZ001 - the naive time is the point
    with pytest.raises(ValueError, match="offset"):
        MissionEvent.model_validate(data)


def test_input_errors_are_input_errors(ctx: MappingContext) -> None:
    """Every rejection is an InputError with a machine-readable code."""
    with pytest.raises(InputError) as info:
        FORMAT.accept(b"not json", ctx)
    assert info.value.code == "parse"
