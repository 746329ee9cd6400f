"""Every ELIN sample parses, validates against its schema and maps to the expected canonical events."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest
from lxml import etree

from connectors.formats import MappingContext
from connectors.plo import schemas
from connectors.plo.format import FORMAT
from connectors.plo.msghead import validate_msghead
from connectors.plo.xmlsafe import namespace, parse
from hub.errors import ValidationError
from hub.events import CorrectionAction, EventType, NoticeKind, Place, SourceKind, make_event_id
from tests.connectors.plo.conftest import SAMPLES, all_samples, sample

N, M, C = None, CorrectionAction.REPLACE, CorrectionAction.CANCEL
E = EventType

EXPECTED: dict[str, list[tuple[EventType, str, CorrectionAction | None]]] = {
    "AppRec-v1-eksempel-avvist.xml": [(E.MESSAGE_REJECTED, "2004-12-17T08:30:47", N)],
    "AppRec-v1-eksempel-ok.xml": [],
    "Dialogmelding_avvik_v1-0.xml": [],
    "Dialogmelding_foresporsel_PLO_v1-0.xml": [(E.DIALOGUE_QUESTION_SENT, "2018-01-24T09:23:32", N)],
    "Dialogmelding_svar_foresporsel_PLO_v1-0.xml": [(E.DIALOGUE_ANSWER_SENT, "2018-01-24T14:30:36", N)],
    "Helsefaglig dialog_angi profesjon hos mottaker.xml": [],
    "Status_paa_henvisning-InnkaltEtterViderehenvisning.xml": [],
    "epikrise_v1.2_n.xml": [(E.EPIKRISE_SENT, "2017-05-05T04:24:09", N)],
    "epikrise_v1.2_m.xml": [(E.EPIKRISE_SENT, "2017-05-05T05:15:09", M)],
    "epikrise_v1.2_c.xml": [(E.EPIKRISE_SENT, "2017-05-05T06:23:09", C)],
    "Helseopplysninger_Varsel_om_innlagt_pasient_v1-6_Ny.xml": [
        (E.MUNICIPALITY_NOTIFIED, "2018-01-10T09:32:43", N)
    ],
    "Helseopplysninger_Oppdaterte_opplysninger_v1-6_Endring1.xml": [
        (E.MUNICIPALITY_NOTIFIED, "2018-01-11T09:45:12", M)
    ],
    "Helseopplysninger_Oppdaterte_opplysninger_v1-6_Endring2.xml": [
        (E.MUNICIPALITY_NOTIFIED, "2018-01-15T09:50:12", M)
    ],
    "Helseopplysninger_til_lege_v1-6_Ny.xml": [(E.HELSEOPPLYSNINGER_LEGE_SENT, "2018-01-30T08:15:00", N)],
    "Helseopplysninger_til_lege_v1-6_Kansellering.xml": [
        (E.HELSEOPPLYSNINGER_LEGE_SENT, "2018-01-30T10:26:00", C)
    ],
    "Innleggelsesrapport_v1-6_Ny.xml": [(E.INNLEGGELSESRAPPORT_SENT, "2018-01-30T14:34:47", N)],
    "Innleggelsesrapport_v1-6_Endring.xml": [(E.INNLEGGELSESRAPPORT_SENT, "2018-01-30T14:56:13", M)],
    "Innleggelsesrapport_v1-6_Kansellering.xml": [(E.INNLEGGELSESRAPPORT_SENT, "2018-01-30T15:02:13", C)],
    "Medisinske_opplysninger_v1-6_Ny.xml": [(E.MEDISINSKE_OPPLYSNINGER_SENT, "2018-01-31T11:30:45", N)],
    "Medisinske_opplysninger_v1-6_Kansellering.xml": [
        (E.MEDISINSKE_OPPLYSNINGER_SENT, "2018-01-31T13:32:53", C)
    ],
    "Orientering_om_tjenestetilbud_v1-6_Ny.xml": [
        (E.MUNICIPAL_SERVICE_STARTED, "2017-03-14T23:00:00", N),
        (E.MUNICIPAL_SERVICE_STARTED, "2016-12-31T23:00:00", N),
        (E.MUNICIPAL_SERVICE_STARTED, "2017-01-02T23:00:00", N),
        (E.MUNICIPAL_SERVICE_STARTED, "2017-01-02T23:00:00", N),
    ],
    "Orientering_om_tjenestetilbud_v1-6_Kansellering.xml": [
        (E.MUNICIPAL_SERVICE_STARTED, "2017-03-14T23:00:00", C),
        (E.MUNICIPAL_SERVICE_STARTED, "2016-12-31T23:00:00", C),
        (E.MUNICIPAL_SERVICE_STARTED, "2017-01-02T23:00:00", C),
        (E.MUNICIPAL_SERVICE_STARTED, "2017-01-02T23:00:00", C),
    ],
    "Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml": [
        (E.ADMITTED, "2018-01-29T09:00:00", N),
        (E.MUNICIPALITY_NOTIFIED, "2018-01-29T09:11:54", N),
    ],
    "Pasientlogistikk_Innlagt_pasient_v1-6_Kansellering.xml": [
        (E.ADMITTED, "2018-01-29T09:00:00", C),
        (E.MUNICIPALITY_NOTIFIED, "2018-01-29T09:12:54", C),
    ],
    "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml": [
        (E.DECLARED_READY, "2018-01-31T09:20:11", N),
        (E.MUNICIPALITY_NOTIFIED, "2018-01-31T09:20:11", N),
    ],
    "Pasientlogistikk_Avmelding_av_utskrivningsklar_pasient_v1-6_Ny.xml": [
        (E.READY_WITHDRAWN, "2018-01-31T16:12:31", N)
    ],
    "Pasientlogistikk_Melding_om_utskrevet_pasient_v1-6_Ny.xml": [(E.DISCHARGED, "2018-02-01T10:20:13", N)],
    "Pasientlogistikk_Orientering_om_dodsfall_v1-6_Ny.xml": [(E.DIED, "2018-02-20T16:30:45", N)],
    "Pasientlogistikk_Orientering_om_dodsfall_v1-6_Kansellering.xml": [(E.DIED, "2018-02-20T16:35:26", C)],
    "Utskrivningsrapport_v1-6_Ny.xml": [(E.UTSKRIVNINGSRAPPORT_SENT, "2018-02-02T14:40:23", N)],
    "Utskrivningsrapport_v1-6_Endring.xml": [(E.UTSKRIVNINGSRAPPORT_SENT, "2018-02-02T15:35:22", M)],
    "Utskrivningsrapport_v1-6_Kansellering.xml": [(E.UTSKRIVNINGSRAPPORT_SENT, "2018-02-02T16:12:42", C)],
}


def test_expected_table_covers_every_sample() -> None:
    """The expectation table names exactly the sample files (a new sample needs an expectation)."""
    assert {p.name for p in all_samples()} == set(EXPECTED)


@pytest.mark.parametrize("path", all_samples(), ids=lambda p: p.name)
def test_sample_validates_against_its_schema(path: object) -> None:
    """Each sample is well-formed and valid: MsgHead and its document each against their own schema."""
    root = parse(path.read_bytes())  # type: ignore[attr-defined]
    if namespace(root) == schemas.MSGHEAD_NS:
        body = validate_msghead(root)
        assert namespace(body) in schemas.DOCUMENTS
    else:
        schemas.validate(root, namespace(root))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_maps_to_expected_events(name: str, ctx: MappingContext) -> None:
    """Each sample is accepted and maps to the expected event types, UTC event times and correction actions
    (none for a valid message the hub derives nothing from)."""
    expected = EXPECTED[name]
    payload = sample(name)
    accepted = FORMAT.accept(payload, ctx)
    got = [
        (
            e.event_type,
            e.occurred_at.replace(tzinfo=None).isoformat(),
            e.correction.action if e.correction else None,
        )
        for e in accepted.events
    ]
    assert got == expected
    for event in accepted.events:
        assert event.source.kind is SourceKind.PLO
        assert event.occurred_at.utcoffset() is not None
        assert event.recorded_at == ctx.received_at


def test_sample_detected_as_plo() -> None:
    """The format recognises MsgHead, Epikrise and AppRec documents and nothing else."""
    for path in all_samples():
        assert FORMAT.detect(path.read_bytes()), path.name
    assert not FORMAT.detect(b"MSH|^~\\&|DIPS")
    assert not FORMAT.detect(b'{"resourceType": "Encounter"}')


def test_cancellation_targets_the_original_events(ctx: MappingContext) -> None:
    """A Kansellering's corrections name the event ids the original (RefToParent) message produced."""
    original = FORMAT.accept(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"), ctx)
    cancel = FORMAT.accept(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Kansellering.xml"), ctx)
    assert [e.correction.target_event_id for e in cancel.events if e.correction] == [
        e.event_id for e in original.events
    ]


def test_correction_chain_follows_ref_to_parent(ctx: MappingContext) -> None:
    """Endring targets Ny, and the Kansellering that refers to the Endring targets the Endring."""
    ny = FORMAT.accept(sample("Innleggelsesrapport_v1-6_Ny.xml"), ctx).events[0]
    endring = FORMAT.accept(sample("Innleggelsesrapport_v1-6_Endring.xml"), ctx).events[0]
    kansellering = FORMAT.accept(sample("Innleggelsesrapport_v1-6_Kansellering.xml"), ctx).events[0]
    assert endring.correction is not None
    assert endring.correction.target_event_id == ny.event_id
    assert kansellering.correction is not None
    assert kansellering.correction.target_event_id == endring.event_id


def test_epikrise_corrections_target_the_document(ctx: MappingContext) -> None:
    """Epikrise Endring and Kansellering target the event of the new epikrise via its document id."""
    ny = FORMAT.accept(sample("epikrise_v1.2_n.xml"), ctx).events[0]
    for name in ("epikrise_v1.2_m.xml", "epikrise_v1.2_c.xml"):
        event = FORMAT.accept(sample(name), ctx).events[0]
        assert event.correction is not None
        assert event.correction.target_event_id == ny.event_id
        assert event.event_id != ny.event_id


def test_event_ids_are_deterministic(ctx: MappingContext) -> None:
    """Event ids come from make_event_id over the sender system and MsgId."""
    event = FORMAT.accept(sample("Pasientlogistikk_Melding_om_utskrevet_pasient_v1-6_Ny.xml"), ctx).events[0]
    assert event.event_id == make_event_id(
        SourceKind.PLO, "her:59", "b5edd090-0697-11e8-b566-0800200c9a66", EventType.DISCHARGED, 0
    )
    assert event.source.sender_her_id == "59"
    assert event.organisation.her_id == "59"
    assert event.organisation.unit_id == "90998"


def test_patient_is_pseudonymised_with_birth_year_and_sex(ctx: MappingContext) -> None:
    """The patient part carries the pseudonym, birth year and sex, never the number."""
    event = FORMAT.accept(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"), ctx).events[0]
    assert event.patient is not None
    assert event.patient.birth_year == 1965
    assert event.patient.sex.value == "MALE"
    assert "15076500565" not in event.model_dump_json()


def test_bodies_carry_notice_kind_episode_and_destination(ctx: MappingContext) -> None:
    """Bodies name the notice kind, the derived stay id and the discharge destination."""
    innlagt = FORMAT.accept(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"), ctx).events
    assert innlagt[0].body.episode_id == "plo:59:2018-01-29"  # type: ignore[union-attr]
    assert innlagt[1].body.notice is NoticeKind.ADMISSION  # type: ignore[union-attr]
    klar = FORMAT.accept(sample("Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"), ctx).events
    assert klar[0].body.episode_id == "plo:59:2018-01-29"  # type: ignore[union-attr]
    assert klar[1].body.notice is NoticeKind.READY  # type: ignore[union-attr]
    ut = FORMAT.accept(sample("Pasientlogistikk_Melding_om_utskrevet_pasient_v1-6_Ny.xml"), ctx).events
    assert ut[0].body.destination is Place.HOME  # type: ignore[union-attr]


def test_rejection_names_the_rejected_message(ctx: MappingContext) -> None:
    """An Avvist AppRec becomes MESSAGE_REJECTED with the 8221 code and the original message id."""
    event = FORMAT.accept(sample("AppRec-v1-eksempel-avvist.xml"), ctx).events[0]
    assert event.body.rejected_message_id == "a6967e6a-8c0a-4be4-a647-c921d3086423"  # type: ignore[union-attr]
    assert event.body.error_code == "E30"  # type: ignore[union-attr]
    assert event.body.message_type == "SVAR_KKL"  # type: ignore[union-attr]
    assert event.patient is None


_V15_NAMESPACES = (
    (b"/HelseopplysningerTilLege/2012-04-01", b"/Konsultasjon/2009-06-30"),
    (b"/MedisinskeOpplysninger/2012-04-01", b"/OverforingMedisinskeOpplysninger/2009-06-30"),
    (b"/2012-04-01", b"/2009-06-30"),
    (b"-v1.6.xsd", b"-v1.5.xsd"),
)
_V16_ONLY = {"MerknadTilLegemiddeladministrering"}
_V16_ONLY_HELSEOPPLYSNINGER = {"TypeInnholdIMelding", "OpplysningOpphold"}
"""Elements of the v1.6 samples the v1.5 schemas do not have (v1.6 added them)."""


def _as_v15(payload: bytes) -> bytes:
    """The v1.6 sample as a sender on PLO v1.5 writes it: v1.5 namespaces and only v1.5 elements.

    A v1.5 Helseopplysninger ved søknad has no TypeInnholdIMelding/OpplysningOpphold and must carry
    OpplysningerTilSoknad (v1.6 made it optional).
    """
    for old, new in _V15_NAMESPACES:
        payload = payload.replace(old, new)
    root = parse(payload)
    body = validate_msghead_body(root)
    helseopplysninger = etree.QName(body).localname == "HelseopplysningerVedSoknad"
    drop = _V16_ONLY | (_V16_ONLY_HELSEOPPLYSNINGER if helseopplysninger else set())
    for element in [e for e in body.iter() if isinstance(e.tag, str) and etree.QName(e).localname in drop]:
        element.getparent().remove(element)  # type: ignore[union-attr]
    if helseopplysninger and not [
        e for e in body if isinstance(e.tag, str) and etree.QName(e).localname == "OpplysningerTilSoknad"
    ]:
        po = "http://www.kith.no/xmlstds/po/poKomponent/2009-06-30"
        opplysninger = etree.Element(f"{{{po}}}OpplysningerTilSoknad")
        etree.SubElement(opplysninger, f"{{{po}}}EgensoknadSendt").text = "false"
        anchor = [
            e
            for e in body
            if isinstance(e.tag, str)
            and etree.QName(e).localname
            in {
                "InformasjonOmForsendelsen",
                "TilleggsopplysningPasient",
                "ParorendeForesatt",
                "TilknyttetEnhet",
                "KontaktpersonHelsepersonell",
                "AnsvarForRapport",
                "SendtDokument",
            }
        ][-1]
        anchor.addnext(opplysninger)
    return etree.tostring(root)


def validate_msghead_body(root: etree._Element) -> etree._Element:
    """The document inside MsgHead's Content (not validated)."""
    (content,) = [e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "Content"]
    (body,) = [e for e in content if isinstance(e.tag, str)]
    return body


PLO_SAMPLES = sorted(p.name for p in (SAMPLES / "plo").rglob("*.xml"))


@pytest.mark.parametrize("name", PLO_SAMPLES)
def test_plo_v15_variant_validates_and_maps_like_v16(name: str, ctx: MappingContext) -> None:
    """Every PLO message type as v1.5 (2009-06-30) validates against the v1.5 XSD and maps to the same events
    (types, times, corrections and bodies) as its v1.6 counterpart."""
    v15 = _as_v15(sample(name))
    body = validate_msghead(parse(v15))
    assert namespace(body).endswith("/2009-06-30")
    assert schemas.DOCUMENTS[namespace(body)].startswith("plo/v1.5/")
    v16_events = FORMAT.accept(sample(name), ctx).events
    v15_events = FORMAT.accept(v15, ctx).events
    assert [(e.event_type, e.occurred_at, e.correction, e.body) for e in v15_events] == [
        (e.event_type, e.occurred_at, e.correction, e.body) for e in v16_events
    ]
    assert v15_events, name


def test_plo_v15_helseopplysninger_is_the_admission_notice(ctx: MappingContext) -> None:
    """A v1.5 Helseopplysninger ved søknad (no TypeInnhold in v1.5) is the varsel om innlagt pasient."""
    v15 = _as_v15(sample("Helseopplysninger_Varsel_om_innlagt_pasient_v1-6_Ny.xml"))
    assert b"TypeInnhold" not in v15
    (event,) = FORMAT.accept(v15, ctx).events
    assert event.event_type is EventType.MUNICIPALITY_NOTIFIED
    assert event.body.notice is NoticeKind.ADMISSION  # type: ignore[union-attr]
    assert event.correction is None


def test_v16_helseopplysninger_other_content_is_accepted_without_event(ctx: MappingContext) -> None:
    """A v1.6 Helseopplysninger with another TypeInnhold (3) is accepted, with no event and the reason."""
    payload = sample("Helseopplysninger_Varsel_om_innlagt_pasient_v1-6_Ny.xml").replace(
        b'<TypeInnhold V="1"', b'<TypeInnhold V="3"'
    )
    accepted = FORMAT.accept(payload, ctx)
    assert accepted.events == []
    assert accepted.unmapped is not None
    assert "9140" in accepted.unmapped


def test_schema_violation_is_a_validation_error(ctx: MappingContext) -> None:
    """A body element the schema does not allow makes the message invalid."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(
        b"<Anslag>false</Anslag>", b"<Anslag>kanskje</Anslag>"
    )
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(payload, ctx)
    assert info.value.code == "schema"


def test_missing_patient_number_is_a_validation_error(ctx: MappingContext) -> None:
    """A PLO message whose patient has no person number is refused (AppRec E30)."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(b'V="FNR"', b'V="XXX"')
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(payload, ctx)
    assert info.value.code == "patient"


def test_invalid_patient_number_is_a_validation_error(ctx: MappingContext) -> None:
    """A person number with wrong check digits is refused as a validation error, not an IdentityError."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(b"15076500565", b"15076500566")
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(payload, ctx)
    assert info.value.code == "patient"


def test_correction_without_reference_is_refused(ctx: MappingContext) -> None:
    """An Endring/Kansellering without ConversationRef cannot say what it corrects."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Kansellering.xml")
    root = parse(payload)
    for ref in [e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("ConversationRef")]:
        ref.getparent().remove(ref)  # type: ignore[union-attr]
    with pytest.raises(ValidationError) as info:
        FORMAT.accept(etree.tostring(root), ctx)
    assert info.value.code == "reference"


def test_forsendelsesstatus_a_is_not_guessed(ctx: MappingContext) -> None:
    """A valid message with Forsendelsesstatus A is accepted with no events, not given a guessed meaning."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Kansellering.xml").replace(
        b'<Forsendelsesstatus V="C"', b'<Forsendelsesstatus V="A"'
    )
    accepted = FORMAT.accept(payload, ctx)
    assert accepted.events == []
    assert accepted.unmapped is not None
    assert "Forsendelsesstatus 'A'" in accepted.unmapped


def test_local_time_converts_to_utc_across_summer_time(ctx: MappingContext) -> None:
    """Europe/Oslo local times become UTC with the offset valid on that date (CEST in July)."""
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(
        b"2018-01-29T10:00:00", b"2018-07-02T10:00:00"
    )
    event = FORMAT.accept(payload, ctx).events[0]
    assert event.occurred_at == datetime.fromisoformat("2018-07-02T08:00:00+00:00")


def test_samples_directory_is_local_to_the_repo() -> None:
    """Tests use the copies under tests/, never the shared directory."""
    assert SAMPLES.is_dir()
    assert "shared" not in str(SAMPLES)
    assert "shared" not in str(schemas.XSD_DIR)


def test_msghead_envelope_is_validated(ctx: MappingContext) -> None:
    """An envelope error (missing MsgId) is a validation error even when the document is fine."""
    root = parse(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"))
    info = copy.deepcopy(root)
    for element in [e for e in info.iter() if isinstance(e.tag, str) and e.tag.endswith("}MsgId")]:
        element.getparent().remove(element)  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        FORMAT.accept(etree.tostring(info), ctx)


def test_bostedskommune_comes_from_the_patient_address(ctx: MappingContext) -> None:
    """Address/County gives bostedskommune and the notice kommune, also after redaction."""
    payload = sample("Helseopplysninger_Varsel_om_innlagt_pasient_v1-6_Ny.xml").replace(
        b"<City>Bergen</City>", b'<City>Bergen</City>\n\t\t\t\t<County V="4601" DN="Bergen"/>'
    )
    result = FORMAT.accept(payload, ctx)
    (event,) = result.events
    assert event.patient is not None
    assert event.patient.bostedskommune == "4601"
    assert event.body.kommunenummer == "4601"  # type: ignore[union-attr]
    assert b'County V="4601"' in result.redacted
    assert b"Lungegaardsbakken" not in result.redacted
    assert FORMAT.to_events(result.redacted, ctx) == list(result.events)


def test_plo_v15_melding_om_fravaer_is_accepted_without_event(ctx: MappingContext) -> None:
    """PLO v1.5 Melding om fravær (no v1.6 counterpart) is valid against its XSD and accepted, no event."""
    po = b"http://www.kith.no/xmlstds/po/poKomponent/2009-06-30"
    fravaer = (
        b'<p2:MeldingFravar xmlns:p2="http://www.kith.no/xmlstds/po/MeldingFravar/2009-06-30" xmlns="'
        + po
        + b'">'
        b'<InformasjonOmForsendelsen><Forsendelsesstatus V="N" DN="Ny"/></InformasjonOmForsendelsen>'
        b"<Fraversassistent><MottakerFravarende>true</MottakerFravarende>"
        b"<FravarendeFraDato>2018-02-01</FravarendeFraDato></Fraversassistent></p2:MeldingFravar>"
    )
    payload = re.sub(
        rb"<Content>.*</Content>",
        b"<Content>" + fravaer + b"</Content>",
        sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(b"LOG_INNLAGT", b"FRAVAER"),
        flags=re.DOTALL,
    )
    body = validate_msghead(parse(payload))
    assert schemas.DOCUMENTS[namespace(body)] == "plo/v1.5/MeldingFravar-v1.5.xsd"
    accepted = FORMAT.accept(payload, ctx)
    assert accepted.events == []
    assert accepted.standard == "PLO 1.5"
    assert accepted.unmapped is not None
