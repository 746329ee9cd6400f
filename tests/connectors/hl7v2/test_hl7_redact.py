"""Redaction keeps what the mapping reads and removes person numbers, names, addresses and phones."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.hl7v2.adt import map_with_person
from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.parse import parse_message
from connectors.hl7v2.redact import KEPT_SEGMENTS, redact
from hub.errors import ParseError
from tests.connectors.hl7v2.hl7_samples import DNR, FNR, adt, context, synthetic_number

TRIGGERS = ["A01", "A02", "A03", "A04", "A06", "A08", "A11", "A12", "A13"]


def test_redacted_payload_has_no_identifying_data() -> None:
    """The redacted message holds no person number, name, maiden name, street, phone or next of kin."""
    redacted = FORMAT.accept(adt(), context()).redacted
    for secret in (
        FNR,
        "Nordmann",
        "Kari",
        "Hansen",
        "Storgata",
        "7713",
        "+4791234567",
        "+4798765432",
        "H123456",
    ):
        assert secret.encode() not in redacted
    assert b"\rNK1|" not in redacted
    assert b"Lege" not in redacted  # personnel names in PV1-7 are reduced to their id
    assert b"PSN1.dev1." in redacted


def test_redacted_payload_keeps_year_county_and_visit() -> None:
    """Birth year, county code (bostedskommune) and the visit number survive redaction."""
    redacted = FORMAT.accept(adt(), context()).redacted
    assert b"|1941|" in redacted
    assert b"19410517" not in redacted
    assert b"^^5006" in redacted
    assert b"V2024-0042" in redacted


def test_redaction_is_idempotent() -> None:
    """Accepting the redacted message again gives the same redacted bytes and events."""
    first = FORMAT.accept(adt(), context())
    second = FORMAT.accept(first.redacted, context())
    assert second.redacted == first.redacted
    assert list(second.events) == list(first.events)


@settings(max_examples=150, deadline=None)
@given(
    trigger=st.sampled_from(TRIGGERS),
    number=st.sampled_from([FNR, DNR]),
    pv1_4=st.sampled_from(["E", "R", "", "U"]),
    pv1_14=st.sampled_from(["1", "4", "HJEM", "KAD", "", "ZZ"]),
    pv1_36=st.sampled_from(["01", "03", "20", "KAD", "", "99"]),
    unit=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ0123456789-", min_size=0, max_size=8),
    county=st.sampled_from(["5006", "0301", "", "50", "1234"]),
    evn_6=st.sampled_from(["", "20240301081500", "20241027023000", "20240331023000+0100"]),
    latin1=st.booleans(),
)
def test_to_events_of_redacted_equals_events(  # noqa: PLR0917 - one argument per generated field
    trigger: str,
    number: str,
    pv1_4: str,
    pv1_14: str,
    pv1_36: str,
    unit: str,
    county: str,
    evn_6: str,
    latin1: bool,
) -> None:
    """For any mapped message, to_events(accept(p).redacted) equals accept(p).events and hides the number."""
    payload = adt(
        trigger,
        number=number,
        pv1_4=pv1_4,
        pv1_14=pv1_14,
        pv1_36=pv1_36,
        pv1_3=f"{unit}^1^1^STO",
        county=county,
        evn_6=evn_6,
    )
    if latin1:
        payload = payload.decode("utf-8").encode("latin-1")
    accepted = FORMAT.accept(payload, context())
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)
    assert number.encode() not in accepted.redacted
    assert b"Nordmann" not in accepted.redacted


def test_escaped_delimiters_survive_redaction() -> None:
    """Escape sequences (\\T\\, \\S\\) in kept fields are escaped again; the redacted copy maps the same."""
    payload = adt(pv1_3="M\\T\\D^1^1^STO").replace(b"^H^^5006", b"^H\\S\\X^^5006")
    accepted = FORMAT.accept(payload, context())
    assert accepted.events[0].organisation.unit_id == "M&D"
    assert b"^H\\S\\X^^5006" in accepted.redacted
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)


def test_escape_sequence_edge_cases_do_not_crash() -> None:
    """Dangling escape characters (which make python-hl7 log a deprecated warning) are handled."""
    payload = adt(pv1_3="MED\\\\^1^1^STO")
    accepted = FORMAT.accept(payload, context())
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)


OTHER_SEGMENTS = [
    "NK1|2|Nordmann^Per|BRO|Fjellveien 2^^Levanger|+4790000000",
    f"PID|2||{synthetic_number(date(1950, 3, 1))}^^^FNR^NNNOR||Annen^Person",
    "PV2|||^Hjertesvikt|||||20240305",
    "DG1|1||I50.9^Hjertesvikt, uspesifisert^ICD10",
    "SFT|DIPS ASA|23.1",
    "OBX|1|ST|BP^Blodtrykk||120\\S\\80|mmHg|||||F",
    "IN1|1|HELFO|974||Oslo^^0101",
    "AL1|1||^Penicillin",
    "ZPV|ward~other^a&b",
    "PD1|||Legesenter Nord^^123",
]


@settings(max_examples=120, deadline=None)
@given(
    trigger=st.sampled_from(TRIGGERS),
    extra=st.lists(st.sampled_from(OTHER_SEGMENTS), max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_parsing_only_the_kept_segments_gives_what_parsing_all_gives(
    trigger: str, extra: list[str], order: random.Random
) -> None:
    """``accept`` parses only the segments the mapping reads and redaction keeps; its events and redacted
    copy equal those of a parse of every segment, wherever the other segments stand."""
    segments = adt(trigger, extra_segments=tuple(extra)).rstrip(b"\r").split(b"\r")
    body = segments[1:]
    order.shuffle(body)
    payload = b"\r".join([segments[0], *body])
    accepted = FORMAT.accept(payload, context())
    everything = parse_message(payload)
    events, person = map_with_person(everything, context())
    assert list(accepted.events) == events
    assert accepted.redacted == redact(everything, person)
    kept = parse_message(payload, keep=KEPT_SEGMENTS)
    assert {str(seg[0]) for seg in kept.tree} <= KEPT_SEGMENTS


def test_a_bad_segment_id_is_refused_also_where_it_is_not_parsed() -> None:
    """Segments left out of the parse are still checked: an invalid id or a second MSH is refused."""
    for bad in ("nk1|1|x", "MSH|^~\\&|X"):
        with pytest.raises(ParseError):
            parse_message(adt(extra_segments=(bad,)), keep=KEPT_SEGMENTS)
