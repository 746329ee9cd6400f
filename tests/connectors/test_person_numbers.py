"""No person number or next-of-kin name reaches a topic: every PID, FHIR ids/references/URLs, Epikrise
next of kin, message ids used as keys, tokens passed by senders, dead-letter reasons and hashes."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.fhir.format import FORMAT as FHIR
from connectors.formats import MappingContext
from connectors.hl7v2.format import FORMAT as HL7
from connectors.plo.format import FORMAT as PLO
from hub.errors import ValidationError
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity.masking import PersonNumberLeak, check_record, find_person_numbers
from hub.identity.sealing import Sealer
from hub.serde import codec_for
from hub.settings import HubSettings
from tests.connectors.fhir import fhir_samples as fs
from tests.connectors.hl7v2 import hl7_samples as hs
from tests.connectors.hl7v2.hl7_samples import synthetic_number
from tests.connectors.plo.conftest import sample

OTHER = synthetic_number(date(1952, 8, 9), d_number=True)
"""A second person (a D-nummer) that must not survive redaction either."""


def _raw(settings: HubSettings, sink: MemorySink, topic: str) -> list[RawMessage]:
    codec = codec_for(settings, RawMessage, topic)
    return [codec.decode(v) for _k, v in sink.on(topic)]


def _dead(settings: HubSettings, sink: MemorySink) -> list[DeadLetterRecord]:
    codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    return [codec.decode(v) for _k, v in sink.on(settings.topics.dlq)]


def _no_numbers_anywhere(sink: MemorySink) -> None:
    for topic, key, value in sink.records:
        assert find_person_numbers(key) == [], topic
        assert find_person_numbers(value) == [], topic


def test_second_pid_segment_is_redacted(ctx: MappingContext) -> None:
    """A second PID (fnr, name, address of someone else) does not survive redaction."""
    second = f"PID|2||{OTHER}^^^FNR^NNNOR||Hansen^Per||19520809|M|||Bakken 2^^Levanger^^7600"
    redacted = HL7.accept(hs.adt(extra_segments=(second,)), ctx).redacted
    assert OTHER.encode() not in redacted
    assert b"Hansen^Per" not in redacted
    assert b"Bakken" not in redacted
    assert redacted.count(b"\rPID|") == 1


@pytest.mark.parametrize("segment", ["NK1", "GT1", "IN1"])
def test_nk1_gt1_in1_are_dropped(segment: str, ctx: MappingContext) -> None:
    """Next of kin, guarantor and insurance segments (names, numbers) are dropped."""
    extra = f"{segment}|1|{OTHER}^^^FNR|Nordmann^Per|Veien 3"
    redacted = HL7.accept(hs.adt(extra_segments=(extra,)), ctx).redacted
    assert f"\r{segment}|".encode() not in redacted
    assert OTHER.encode() not in redacted


def test_fhir_ids_references_and_urls_are_tokenised(ctx: MappingContext) -> None:
    """Patient.id, subject.reference, fullUrl, request.url and ifNoneExist lose the person number."""
    doc = fs.bundle()
    number = fs.FNR
    for entry in doc["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Patient":
            res["id"] = number
            entry["fullUrl"] = f"http://ehr.example/fhir/Patient/{number}"
            entry["request"] = {
                "method": "PUT",
                "url": f"Patient?identifier={fs.FNR_SYSTEM}|{number}",
                "ifNoneExist": f"identifier={fs.FNR_SYSTEM}|{number}",
            }
        if res["resourceType"] == "Encounter":
            res["subject"] = {"reference": f"Patient/{number}"}
    payload = fs.dumps(doc)
    accepted = FHIR.accept(payload, ctx)
    assert number.encode() not in accepted.redacted
    assert find_person_numbers(accepted.redacted) == []
    again = FHIR.to_events(accepted.redacted, ctx)
    assert [e.event_id for e in again] == [e.event_id for e in accepted.events]
    redacted = json.loads(accepted.redacted)
    patient = next(e for e in redacted["entry"] if e["resource"]["resourceType"] == "Patient")
    encounter = next(e for e in redacted["entry"] if e["resource"]["resourceType"] == "Encounter")
    assert encounter["resource"]["subject"]["reference"] == f"Patient/{patient['resource']['id']}"


def test_epikrise_next_of_kin_name_and_id_removed(ctx: MappingContext) -> None:
    """Epikrise PatientRelParty: the relative's name is blanked and official id removed."""
    relative = (
        '<PatientRelParty><Relation V="E" DN="Ektefelle"/><Name>Danser, Ole</Name>'
        f"<RelPartyOffId>{OTHER}</RelPartyOffId></PatientRelParty>"
    )
    original = sample("epikrise_v1.2_m.xml")
    payload = original.replace(b"\t\t\t<PatRelHCP>", relative.encode() + b"\n\t\t\t<PatRelHCP>", 1)
    assert payload != original
    redacted = PLO.accept(payload, ctx).redacted
    assert b"Danser, Ole" not in redacted
    assert OTHER.encode() not in redacted
    assert b"PatientRelParty" in redacted


async def test_token_instead_of_person_number_refused(settings: HubSettings, ctx: MappingContext) -> None:
    """A sender passing a PSN1 token where the person number belongs is refused by the connector."""
    token = ctx.pseudonymiser.resolve(hs.FNR).token
    sink = MemorySink()
    result = await Ingestor(HL7, sink, settings).ingest(hs.adt(pid_3=f"{token}^^^FNR^NNNOR"))
    assert not result.ok
    assert sink.on(settings.topics.raw_hl7v2) == []
    assert "token" in _dead(settings, sink)[0].reason


async def test_message_id_holding_a_person_number_refused(settings: HubSettings) -> None:
    """MSH-10 (the Kafka key of the raw record) holding an fnr is refused and never becomes a key."""
    sink = MemorySink()
    result = await Ingestor(HL7, sink, settings).ingest(hs.adt(control_id=OTHER))
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "person_number"
    assert sink.on(settings.topics.raw_hl7v2) == []
    _no_numbers_anywhere(sink)


async def test_visit_number_holding_a_person_number_never_reaches_the_topic(settings: HubSettings) -> None:
    """A person number in a field redaction keeps (PV1-19) is masked before the raw write."""
    sink = MemorySink()
    result = await Ingestor(HL7, sink, settings).ingest(hs.adt(pv1_19=OTHER))
    assert result.ok
    _no_numbers_anywhere(sink)


async def test_dead_letter_reason_masked_and_hash_keyed(settings: HubSettings) -> None:
    """A reason quoting a person number is masked; payload_sha256 is keyed, not a plain SHA-256."""
    sink = MemorySink()
    ingestor = Ingestor(HL7, sink, settings)
    payload = b"not hl7 at all"
    await ingestor.dead_letter(payload, ValidationError(f"bad PID-3 value {OTHER}", code="identity"))
    dead = _dead(settings, sink)[0]
    assert OTHER not in dead.reason
    assert "*" * 11 in dead.reason
    assert dead.payload_sha256 != hashlib.sha256(payload).hexdigest()
    assert dead.payload_sha256 == Sealer.from_settings(settings.pseudonym).digest(payload)
    _no_numbers_anywhere(sink)


def test_digest_depends_on_the_key() -> None:
    """The dead-letter digest cannot be confirmed without the key."""
    a = Sealer({"k": b"a" * 32}, "k").digest(b"x")
    b = Sealer({"k": b"b" * 32}, "k").digest(b"x")
    assert a != b
    assert hashlib.sha256(b"x").hexdigest() not in (a, b)


@pytest.mark.parametrize("where", ["key", "value", "header"])
def test_record_check_finds_numbers_in_key_value_and_headers(where: str) -> None:
    """The last-line check refuses a record with a valid fnr/D-nummer in its key, value or a header."""
    number = OTHER.encode()
    key, value, headers = b"k", b"v", [("h", b"x")]
    if where == "key":
        key = b"id-" + number
    elif where == "value":
        value = b"\x00\x02" + number + b"\x00"
    else:
        headers = [("h", number)]
    with pytest.raises(PersonNumberLeak):
        check_record("t", key, value, headers)


def test_record_check_ignores_other_digit_runs() -> None:
    """Timestamps, 11-digit runs failing mod-11 and longer runs are not person numbers."""
    check_record("t", b"20240301103005", b"12345678901 123456789012", [("h", b"00000000000")])


@pytest.mark.parametrize("field", ["message_id", "mission_id"])
async def test_ambulance_ids_holding_a_person_number_never_reach_a_key(
    field: str, settings: HubSettings
) -> None:
    """An AMK message or mission id holding a person number never becomes a Kafka key or field."""
    from connectors.ambulance.format import FORMAT as AMBULANCE
    from tests.connectors.ambulance.messages import mission

    sink = MemorySink()
    payload = json.dumps(mission(**{field: f"M-{OTHER}"})).encode()
    await Ingestor(AMBULANCE, sink, settings).ingest(payload)
    _no_numbers_anywhere(sink)
    assert sink.on(settings.topics.raw_ambulance) == []


async def test_kpr_record_id_holding_a_person_number_refused(settings: HubSettings) -> None:
    """A KPR record id (the stay id of the events) holding a person number is refused."""
    from connectors.kpr.format import FORMAT as KPR
    from tests.connectors.kpr.extracts import SAMPLE_CSV

    text = SAMPLE_CSV.decode()
    header, first, *rest = text.splitlines()
    record_id = first.split(",", 1)[0]
    payload = "\n".join([header, first.replace(record_id, f"R{OTHER}", 1), *rest]).encode() + b"\n"
    sink = MemorySink()
    result = await Ingestor(KPR, sink, settings).ingest(payload)
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "person_number"
    _no_numbers_anywhere(sink)
