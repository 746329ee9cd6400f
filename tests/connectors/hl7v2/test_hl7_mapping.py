"""ADT trigger events map to canonical events as the tables in connectors/hl7v2 say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.hl7v2.format import FORMAT
from hub.errors import InputError, UnsupportedMessage, ValidationError
from hub.events import (
    CareArea,
    EventType,
    Hastegrad,
    Place,
    Sex,
    SourceKind,
    UnitKind,
    make_event_id,
)
from tests.connectors.hl7v2.hl7_samples import DNR, FNR, adt, context


def _one(payload: bytes):  # type: ignore[no-untyped-def]
    (event,) = FORMAT.accept(payload, context()).events
    return event


@pytest.mark.parametrize(
    ("trigger", "event_type"),
    [
        ("A01", EventType.ADMITTED),
        ("A06", EventType.ADMITTED),
        ("A02", EventType.TRANSFERRED),
        ("A12", EventType.TRANSFERRED),
        ("A03", EventType.DISCHARGED),
        ("A11", EventType.ADMISSION_CANCELLED),
        ("A13", EventType.DISCHARGE_CANCELLED),
    ],
)
def test_trigger_maps_to_event_type(trigger: str, event_type: EventType) -> None:
    """Each mapped ADT trigger gives exactly one event of its canonical type about episode PV1-19."""
    event = _one(adt(trigger))
    assert event.event_type is event_type
    assert event.body.episode_id == "V2024-0042"  # type: ignore[union-attr]
    assert event.event_id == make_event_id(SourceKind.HL7V2, "DIPS", "MSG00001", event_type, 0)


@pytest.mark.parametrize("trigger", ["A04", "A08"])
def test_registration_and_update_are_accepted_without_events(trigger: str) -> None:
    """A04 (outpatient registration) and A08 (patient update) are accepted and redacted but map to nothing."""
    accepted = FORMAT.accept(adt(trigger), context())
    assert accepted.events == []
    assert FNR.encode() not in accepted.redacted


@pytest.mark.parametrize(("trigger", "needle"), [("A40", "merge"), ("A31", "A31"), ("A05", "A05")])
def test_unmapped_triggers_are_unsupported(trigger: str, needle: str) -> None:
    """A40 merge and unmapped triggers are rejected as UnsupportedMessage with a reason naming them."""
    with pytest.raises(UnsupportedMessage, match=needle) as info:
        FORMAT.accept(adt(trigger), context())
    assert info.value.code == "unsupported_event"


def test_non_adt_message_type_is_unsupported() -> None:
    """An ORU message is valid HL7 but not ADT, so it is unsupported (MSH-9)."""
    payload = adt().replace(b"ADT^A01^ADT_A01", b"ORU^R01^ORU_R01")
    with pytest.raises(UnsupportedMessage) as info:
        FORMAT.accept(payload, context())
    assert (info.value.code, info.value.location) == ("unsupported_type", "MSH-9")


def test_unsupported_version_is_rejected() -> None:
    """HL7 version 3 in MSH-12 is rejected with code unsupported_version."""
    with pytest.raises(UnsupportedMessage) as info:
        FORMAT.accept(adt().replace(b"|P|2.5|", b"|P|3.0|"), context())
    assert info.value.code == "unsupported_version"


@pytest.mark.parametrize(
    ("pv1_4", "pv1_2", "expected"),
    [
        ("E", "I", Hastegrad.AKUTT),
        ("A", "I", Hastegrad.AKUTT),
        ("U", "I", Hastegrad.AKUTT),
        ("1", "I", Hastegrad.AKUTT),
        ("R", "I", Hastegrad.PLANLAGT),
        ("C", "I", Hastegrad.PLANLAGT),
        ("", "I", Hastegrad.PLANLAGT),
        ("", "E", Hastegrad.AKUTT),
    ],
)
def test_admission_type_maps_to_hastegrad(pv1_4: str, pv1_2: str, expected: Hastegrad) -> None:
    """PV1-4 E/A/U/1 (or empty with PV1-2 E) is akutt; everything else is planlagt."""
    assert _one(adt(pv1_4=pv1_4, pv1_2=pv1_2)).body.hastegrad is expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("1", Place.FASTLEGE),
        ("4", Place.HOSPITAL),
        ("5", Place.SYKEHJEM),
        ("7", Place.LEGEVAKT),
        ("9", Place.UNKNOWN),
        ("HJEM", Place.HOME),
        ("hjspl", Place.HOME_NURSING),
        ("KAD", Place.KAD),
        ("AMBULANSE", Place.AMBULANCE),
        ("", Place.UNKNOWN),
        ("XYZ", Place.UNKNOWN),
    ],
)
def test_admit_source_maps_to_from_place(code: str, expected: Place) -> None:
    """PV1-14 (table 0023 or local code) gives the from-place; unknown codes give UNKNOWN."""
    assert _one(adt(pv1_14=code)).body.from_place is expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("01", Place.HOME),
        ("02", Place.HOSPITAL),
        ("03", Place.SYKEHJEM),
        ("06", Place.HOME_NURSING),
        ("20", Place.DEAD),
        ("41", Place.DEAD),
        ("KAD", Place.KAD),
        ("SYKESTUE", Place.SYKESTUE),
        ("DØD", Place.DEAD),
        ("99", Place.OTHER),
        ("", Place.UNKNOWN),
    ],
)
def test_discharge_disposition_maps_to_destination(code: str, expected: Place) -> None:
    """PV1-36 (table 0112 or local code) gives the destination; unknown codes give OTHER, none UNKNOWN."""
    assert _one(adt("A03", pv1_36=code)).body.destination is expected  # type: ignore[union-attr]


def test_death_indicator_without_disposition_means_dead() -> None:
    """PID-30 = Y and no PV1-36 makes the discharge destination DEAD."""
    assert _one(adt("A03", pid_30="Y")).body.destination is Place.DEAD  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("service", "area"), [("PHV", CareArea.PHV), ("RUS", CareArea.TSB), ("MED", CareArea.SOMATIKK)]
)
def test_hospital_service_maps_to_care_area(service: str, area: CareArea) -> None:
    """PV1-10 local codes PHV/PSY and TSB/RUS choose the care area; anything else is somatikk."""
    assert _one(adt(pv1_10=service)).body.care_area is area  # type: ignore[union-attr]


def test_transfer_names_prior_and_new_unit() -> None:
    """A02 maps PV1-6 to the from-unit and PV1-3 to the to-unit and the event's organisation."""
    event = _one(adt("A02", pv1_6="AKM^1^1^STO", pv1_3="MED3^301^2^STO"))
    assert (event.body.from_unit_id, event.body.to_unit_id) == ("AKM", "MED3")  # type: ignore[union-attr]
    assert (event.organisation.unit_id, event.organisation.hospital) == ("MED3", "STO")


def test_envelope_carries_source_patient_and_unit() -> None:
    """The envelope takes system MSH-3, sender HER-id MSH-4, patient from PID and unit from PV1-3."""
    event = _one(adt())
    assert event.source.system == "DIPS"
    assert event.source.sender_her_id == "80000123"
    assert event.patient is not None
    assert (event.patient.birth_year, event.patient.sex, event.patient.bostedskommune) == (
        1941,
        Sex.FEMALE,
        "5006",
    )
    assert event.organisation.unit_kind is UnitKind.WARD
    assert event.recorded_at == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_event_time_prefers_evn6_then_evn2_then_msh7() -> None:
    """EVN-6 wins over EVN-2 which wins over MSH-7; Oslo local time (CET in March) becomes UTC."""
    assert _one(adt(evn_6="202403010815")).occurred_at == datetime(2024, 3, 1, 7, 15, tzinfo=UTC)
    assert _one(adt()).occurred_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert _one(adt(evn_2="")).occurred_at == datetime(2024, 3, 1, 9, 30, 5, tzinfo=UTC)


def test_summer_time_and_explicit_offset() -> None:
    """Oslo summer time is UTC+2, and an explicit offset in the timestamp is honoured."""
    assert _one(adt(evn_2="20240701120000")).occurred_at == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert _one(adt(evn_2="20240701120000+0000")).occurred_at == datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


def test_d_number_is_recognised() -> None:
    """A D-nummer in the NNNOR repetition is accepted and pseudonymised like a fødselsnummer."""
    event = _one(adt(number=DNR))
    assert event.patient is not None
    assert event.patient.birth_year == 1985


def test_person_number_found_by_assigning_authority_without_nnnor() -> None:
    """Without NNNOR, a repetition whose CX-4 is the fnr OID is taken as the person number."""
    event = _one(adt(pid_3=f"H1^^^STO^PI~{FNR}^^^2.16.578.1.12.4.1.4.1^NI"))
    assert event.patient is not None
    assert event.patient.birth_year == 1941


def test_same_number_gives_same_pseudonym_and_no_number_in_event() -> None:
    """Two messages about the same person share the pseudonym; the event JSON holds no person number."""
    first, second = _one(adt()), _one(adt("A03", control_id="MSG2"))
    assert first.patient == second.patient
    assert FNR not in first.model_dump_json()


def test_missing_person_number_is_a_validation_error() -> None:
    """An A01 whose PID-3 has no NNNOR identifier is rejected naming PID-3."""
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(adt(pid_3="H123^^^STO^PI"), context())
    assert info.value.location == "PID-3"


def test_invalid_person_number_is_a_validation_error() -> None:
    """A person number with a wrong check digit is rejected with code identity at its repetition."""
    bad = FNR[:-1] + str((int(FNR[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(adt(number=bad), context())
    assert (info.value.code, info.value.location) == ("identity", "PID-3[2]")


@pytest.mark.parametrize(
    ("kwargs", "location"),
    [({"pv1_19": ""}, "PV1-19"), ({"control_id": ""}, "MSH-10"), ({"evn_2": "2024-03-01"}, "EVN-2")],
)
def test_required_fields_are_checked(kwargs: dict[str, str], location: str) -> None:
    """Missing visit number or control id, or a malformed timestamp, is an InputError at that field."""
    with pytest.raises(InputError) as info:
        FORMAT.accept(adt(**kwargs), context())  # type: ignore[arg-type]
    assert info.value.location == location


def test_latin1_message_without_msh18_is_read_as_latin1() -> None:
    """Bytes that are not UTF-8 are read as ISO 8859-1, and the redacted copy declares MSH-18 8859/1."""
    payload = adt(pv1_3="MEDØ^1^1^STO").decode().encode("latin-1")
    accepted = FORMAT.accept(payload, context())
    assert accepted.events[0].organisation.unit_id == "MEDØ"
    assert b"8859/1" in accepted.redacted


def test_newline_separated_segments_are_accepted() -> None:
    """Segments separated by LF or CRLF (common in files and tests) parse like CR-separated ones."""
    for sep in (b"\n", b"\r\n"):
        assert _one(adt().replace(b"\r", sep)).event_type is EventType.ADMITTED


def test_detect_recognises_er7_only() -> None:
    """detect() says yes to an MSH-led message (also MLLP-framed) and no to XML or JSON."""
    assert FORMAT.detect(adt())
    assert FORMAT.detect(b"\x0b" + adt())
    assert not FORMAT.detect(b"<?xml version='1.0'?><MsgHead/>")
    assert not FORMAT.detect(b'{"resourceType": "Bundle"}')
