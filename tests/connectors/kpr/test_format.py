"""The KPR format: IPLOS XML and CSV extracts mapped to KAD and municipal service events, redacted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.formats import MappingContext, MessageFormat
from connectors.kpr.format import FORMAT
from connectors.kpr.iplos import XSD_PATH
from hub.errors import ParseError, ValidationError
from hub.events import (
    EventType,
    KadAdmission,
    KadDischarge,
    MunicipalService,
    Place,
    ServiceKind,
    SourceKind,
    UnitKind,
    make_event_id,
)
from hub.identity import Pseudonymiser
from hub.settings import REPO_ROOT
from tests.connectors.kpr.extracts import IPLOS_SAMPLE, PERSON_A, PERSON_B, SAMPLE_CSV, csv_bytes, row


def test_format_implements_the_protocol() -> None:
    """FORMAT satisfies MessageFormat with the kpr name and source kind."""
    assert isinstance(FORMAT, MessageFormat)
    assert (FORMAT.name, FORMAT.source_kind) == ("kpr", SourceKind.KPR)


def test_schema_copy_is_the_shared_iplos_schema() -> None:
    """The XSD in schemas/kpr is the IPLOS 2018 schema and has a provenance README."""
    assert XSD_PATH.read_bytes().count(b'targetNamespace="http://www.npr.no/xmlstds/iplos/2018"') == 1
    assert (REPO_ROOT / "schemas" / "kpr" / "README.md").read_text(encoding="utf-8").count("SHA-256") == 1


def test_detect() -> None:
    """detect recognises IPLOS XML and the KPR CSV, and refuses JSON and other XML."""
    assert FORMAT.detect(IPLOS_SAMPLE)
    assert FORMAT.detect(SAMPLE_CSV)
    assert not FORMAT.detect(b'{"mission_id": "1", "status": "ARRIVED"}')
    assert not FORMAT.detect(b"<MsgHead/>")


def test_iplos_sample_maps_to_expected_events(ctx: MappingContext) -> None:
    """The IPLOS sample yields KAD and service events per TJENESTE; one without tjFraDato yields none."""
    accepted = FORMAT.accept(IPLOS_SAMPLE, ctx)
    assert accepted.message_id == "IPLOS-5038-GERICA-2024-Q1-001"
    assert accepted.system == "IPLOS 5038 GERICA"
    summary = [(e.event_type, e.body.model_dump(mode="json")) for e in accepted.events]
    assert summary == [
        (
            EventType.KAD_ADMITTED,
            {"stay_id": "5038/1001/1", "bed_kind": "KAD_SOMATISK", "referred_by": "UNKNOWN"},
        ),
        (EventType.KAD_DISCHARGED, {"stay_id": "5038/1001/1", "destination": "UNKNOWN"}),
        (EventType.MUNICIPAL_SERVICE_STARTED, {"service_id": "5038/1001/2", "service": "HJEMMESYKEPLEIE"}),
        (EventType.MUNICIPAL_SERVICE_STARTED, {"service_id": "5038/1002/3", "service": "SYKEHJEM_LANGTID"}),
        (EventType.MUNICIPAL_SERVICE_STARTED, {"service_id": "5038/1002/4", "service": "SYKEHJEM_KORTTID"}),
        (EventType.MUNICIPAL_SERVICE_ENDED, {"service_id": "5038/1002/4", "service": "SYKEHJEM_KORTTID"}),
    ]
    first = accepted.events[0]
    assert first.occurred_at == datetime(2024, 3, 3, 23, 0, tzinfo=UTC)  # 4 March, midnight Oslo
    assert first.patient is not None
    assert first.patient.bostedskommune == "5038"
    assert first.patient.birth_year is None
    assert accepted.events[2].patient == first.patient
    assert accepted.events[3].patient != first.patient


def test_iplos_redaction_blanks_contacts_and_maps_identically(ctx: MappingContext) -> None:
    """Contact names, phones and e-mails are blanked; the redacted extract maps to the same events."""
    accepted = FORMAT.accept(IPLOS_SAMPLE, ctx)
    for secret in (b"Testesen", b"41234567", b"92345678", b"example.invalid", "Prøvesen".encode()):
        assert secret not in accepted.redacted
    assert FORMAT.to_events(accepted.redacted, ctx) == list(accepted.events)
    assert FORMAT.accept(accepted.redacted, ctx).message_id == accepted.message_id


@pytest.mark.parametrize(
    ("code", "bed", "types", "expected"),
    [
        ("25", "", (EventType.KAD_ADMITTED, EventType.KAD_DISCHARGED), UnitKind.KAD_SOMATISK),
        (
            "25",
            "kad_psykisk_rus",
            (EventType.KAD_ADMITTED, EventType.KAD_DISCHARGED),
            UnitKind.KAD_PSYKISK_RUS,
        ),
        ("20", "sykestue", (EventType.KAD_ADMITTED, EventType.KAD_DISCHARGED), UnitKind.SYKESTUE),
        ("18", "korttid", (EventType.KAD_ADMITTED, EventType.KAD_DISCHARGED), UnitKind.KORTTID),
        (
            "15",
            "",
            (EventType.MUNICIPAL_SERVICE_STARTED, EventType.MUNICIPAL_SERVICE_ENDED),
            ServiceKind.HJEMMESYKEPLEIE,
        ),
        (
            "21",
            "",
            (EventType.MUNICIPAL_SERVICE_STARTED, EventType.MUNICIPAL_SERVICE_ENDED),
            ServiceKind.SYKEHJEM_LANGTID,
        ),
        (
            "19",
            "",
            (EventType.MUNICIPAL_SERVICE_STARTED, EventType.MUNICIPAL_SERVICE_ENDED),
            ServiceKind.SYKEHJEM_KORTTID,
        ),
        (
            "2",
            "",
            (EventType.MUNICIPAL_SERVICE_STARTED, EventType.MUNICIPAL_SERVICE_ENDED),
            ServiceKind.PRAKTISK_BISTAND,
        ),
        (
            "6",
            "",
            (EventType.MUNICIPAL_SERVICE_STARTED, EventType.MUNICIPAL_SERVICE_ENDED),
            ServiceKind.OTHER,
        ),
    ],
)
def test_csv_mapping_per_tjenestetype(
    code: str, bed: str, types: tuple[EventType, EventType], expected: object, ctx: MappingContext
) -> None:
    """Each tjenestetype (and bed kind) maps to its start and end event with the right kind."""
    payload = csv_bytes(row(code=code, bed=bed, end="2024-03-02T08:00:00+01:00"))
    start, end = FORMAT.accept(payload, ctx).events
    assert (start.event_type, end.event_type) == types
    if isinstance(start.body, KadAdmission):
        assert start.body.bed_kind is expected
        assert start.organisation.unit_kind is expected
    else:
        assert isinstance(start.body, MunicipalService)
        assert start.body.service is expected
    assert start.occurred_at == datetime(2024, 3, 1, 9, 15, tzinfo=UTC)
    assert end.occurred_at == datetime(2024, 3, 2, 7, 0, tzinfo=UTC)


def test_csv_sample_fields(ctx: MappingContext, pseudonymiser: Pseudonymiser) -> None:
    """The CSV sample maps referral, discharge destination, date-only starts and the person's pseudonym."""
    events = FORMAT.accept(SAMPLE_CSV, ctx).events
    assert [e.event_type for e in events] == [
        EventType.KAD_ADMITTED,
        EventType.KAD_DISCHARGED,
        EventType.KAD_ADMITTED,
        EventType.MUNICIPAL_SERVICE_STARTED,
        EventType.MUNICIPAL_SERVICE_ENDED,
    ]
    admitted, discharged, sykestue = events[0].body, events[1].body, events[2].body
    assert isinstance(admitted, KadAdmission)
    assert admitted.referred_by is Place.LEGEVAKT
    assert isinstance(discharged, KadDischarge)
    assert discharged.destination is Place.HOME
    assert isinstance(sykestue, KadAdmission)
    assert sykestue.bed_kind is UnitKind.SYKESTUE
    assert events[2].occurred_at == datetime(2024, 3, 9, 23, 0, tzinfo=UTC)
    assert events[0].patient is not None
    assert events[0].patient.pseudonym == pseudonymiser.person(PERSON_A).pseudonym
    assert events[0].patient.birth_year == 1937


def test_csv_redaction_replaces_person_numbers(ctx: MappingContext) -> None:
    """The redacted CSV holds tokens, no person number, and maps to the same events and message id."""
    accepted = FORMAT.accept(SAMPLE_CSV, ctx)
    assert PERSON_A.encode() not in accepted.redacted
    assert PERSON_B.encode() not in accepted.redacted
    assert accepted.redacted.count(b"PSN1.dev1.") == 3
    assert FORMAT.to_events(accepted.redacted, ctx) == list(accepted.events)
    assert FORMAT.accept(accepted.redacted, ctx).message_id == accepted.message_id


def test_event_ids_are_stable_across_extracts(ctx: MappingContext) -> None:
    """The same record in a later extract (now with an end) keeps its admission event id."""
    first = FORMAT.accept(csv_bytes(row("K9")), ctx).events
    later = FORMAT.accept(
        csv_bytes(row("K8", code="15"), row("K9", end="2024-03-04T12:00:00+01:00")), ctx
    ).events
    assert first[0].event_id == later[1].event_id
    assert first[0].event_id == make_event_id(
        SourceKind.KPR, "KPR-CSV", "5001/K9:start", EventType.KAD_ADMITTED
    )
    assert later[2].event_type is EventType.KAD_DISCHARGED


def test_future_end_gives_no_end_event_yet(ctx: MappingContext) -> None:
    """A planned end after the extract was received is not reported as having happened."""
    events = FORMAT.accept(csv_bytes(row(code="20", end="2030-01-01")), ctx).events
    assert [e.event_type for e in events] == [EventType.MUNICIPAL_SERVICE_STARTED]


def test_semicolon_csv_with_bom_and_any_column_order(ctx: MappingContext) -> None:
    """A semicolon-separated file with a BOM and reordered columns is read the same way."""
    header = "person_id;record_id;start;kommunenummer;tjenestetype"
    payload = b"\xef\xbb\xbf" + f"{header}\n{PERSON_A};K1;2024-03-01T10:15:00+01:00;5001;25\n".encode()
    reference = FORMAT.accept(csv_bytes(row("K1")), ctx).events
    assert FORMAT.accept(payload, ctx).events == reference


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        (csv_bytes(row(), header="record_id,person_id,kommunenummer,tjenestetype,start,name"), "line 1"),
        (csv_bytes(row(), header="record_id,person_id,kommunenummer,start"), "line 1"),
        (csv_bytes(row("A"), row("B", person="01010112345")), "line 3, person_id"),
        (csv_bytes(row("A"), row("B", start="2024-03-01T10:15:00")), "line 3, start"),
        (csv_bytes(row(code="99")), "line 2, tjenestetype"),
        (csv_bytes(row(code="x")), "line 2, tjenestetype"),
        (csv_bytes(row(end="2024-02-01")), "line 2, end"),
        (csv_bytes(row("A"), row("A")), "line 3, record_id"),
        (csv_bytes(row(bed="hospital")), "line 2, bed_kind"),
        (csv_bytes(row(code="15", bed="sykestue")), "line 2, bed_kind"),
        (csv_bytes(row(code="15", referred="legevakt")), "line 2, referred_by"),
        (csv_bytes(row(destination="moon")), "line 2, discharge_destination"),
        (csv_bytes(row(kommune="50")), "line 2, kommunenummer"),
        (csv_bytes(row(record_id="")), "line 2, record_id"),
        (csv_bytes(row() + ",extra"), "line 2"),
        (csv_bytes(), "line 2"),
    ],
)
def test_bad_csv_is_rejected_with_the_location(payload: bytes, location: str, ctx: MappingContext) -> None:
    """One bad row rejects the whole file, naming the line and column."""
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(payload, ctx)
    assert info.value.location == location
    assert "01010112345" not in info.value.reason


def test_iplos_schema_violation_names_the_element(ctx: MappingContext) -> None:
    """An extract that breaks the XSD is rejected with the path of the offending element."""
    bad = IPLOS_SAMPLE.replace(b"<peKjonn>M</peKjonn>", b"<peKjonn>X</peKjonn>")
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(bad, ctx)
    assert info.value.location is not None
    assert "peKjonn" in info.value.location


def test_iplos_unknown_tjenestetype_is_rejected(ctx: MappingContext) -> None:
    """A tjTjenType outside code list 9151 rejects the extract with the TJENESTE's location."""
    bad = IPLOS_SAMPLE.replace(b"<tjTjenType>21</tjTjenType>", b"<tjTjenType>77</tjTjenType>")
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(bad, ctx)
    assert info.value.location == "/IPLOS/PERSON[2]/TJENESTE[1]/tjTjenType"


@pytest.mark.parametrize(
    "payload",
    [
        b"<IPLOS",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>',
    ],
)
def test_unsafe_or_broken_xml_is_a_parse_error(payload: bytes, ctx: MappingContext) -> None:
    """Broken XML and any DTD, entity or external reference raise ParseError (nothing is fetched)."""
    with pytest.raises(ParseError):
        FORMAT.accept(payload, ctx)


def test_other_xml_root_is_rejected(ctx: MappingContext) -> None:
    """XML that is not an IPLOS extract is a validation error at the root."""
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(b"<Melding/>", ctx)
    assert info.value.location == "/"


def test_non_utf8_csv_is_a_parse_error(ctx: MappingContext) -> None:
    """A CSV that is not UTF-8 raises ParseError."""
    with pytest.raises(ParseError):
        FORMAT.accept(HEADER_LATIN1, ctx)


HEADER_LATIN1 = "record_id,person_id,kommunenummer,tjenestetype,start\nK1,Bjørn,5001,25,2024-03-01\n".encode(
    "latin-1"
)


def test_non_ascii_system_id_is_accepted(ctx: MappingContext) -> None:
    """An iiSysID with Norwegian letters maps normally (the local pseudonym input is ASCII-escaped)."""
    extract = IPLOS_SAMPLE.replace(b"<iiSysID>GERICA<", "<iiSysID>Helsenær<".encode())
    accepted = FORMAT.accept(extract, ctx)
    assert accepted.system == "IPLOS 5038 Helsenær"
    assert len(accepted.events) == 6
