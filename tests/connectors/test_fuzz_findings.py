"""Inputs the fuzz bench found that escaped as exceptions other than InputError (a connector would answer
500 or stall instead of refusing the message): each is now a refusal."""

from __future__ import annotations

import json

import pytest

from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.fhir.format import FORMAT as FHIR
from connectors.formats import MappingContext
from connectors.kpr.format import FORMAT as KPR
from connectors.plo.format import FORMAT as PLO
from hub.errors import InputError
from tests.connectors.ambulance.messages import mission
from tests.connectors.fhir import fhir_samples as fs
from tests.connectors.plo.conftest import sample


def test_ambulance_integer_over_4300_digits_is_refused(ctx: MappingContext) -> None:
    """A JSON number of thousands of digits (ValueError in json) is a parse error."""
    payload = json.dumps(mission()).replace('"M42"', "9" * 5000, 1).encode()
    with pytest.raises(InputError):
        AMBULANCE.accept(payload, ctx)


def test_fhir_integer_over_4300_digits_is_refused(ctx: MappingContext) -> None:
    """The same for FHIR JSON."""
    payload = fs.dumps(fs.encounter()).replace(b'"enc-1"', b"7" * 5000, 1)
    with pytest.raises(InputError):
        FHIR.accept(payload, ctx)


def test_kpr_unknown_xml_encoding_is_refused(ctx: MappingContext) -> None:
    """An IPLOS extract declaring an unknown encoding (LookupError) is a parse error."""
    with pytest.raises(InputError):
        KPR.accept(b'<?xml version="1.0" encoding="UTF5174"?><x/>', ctx)


def test_plo_date_with_overflowing_year_is_refused(ctx: MappingContext) -> None:
    """An xs:dateTime whose year overflows (OverflowError in the validator) is a schema error."""
    original = sample("Innleggelsesrapport_v1-6_Ny.xml")
    start = original.index(b"<GenDate>") + len(b"<GenDate>")
    payload = original[:start] + b"99999999999999" + original[start + 4 :]
    with pytest.raises(InputError):
        PLO.accept(payload, ctx)


def test_hl7_superscript_digits_in_person_number_refused(ctx: MappingContext) -> None:
    """A person number with superscript digits ('²'.isdigit() is True, int('²') fails) is refused."""
    from connectors.hl7v2.format import FORMAT as HL7
    from tests.connectors.hl7v2 import hl7_samples as hs

    with pytest.raises(InputError):
        HL7.accept(hs.adt(number=hs.FNR[:5] + "²" + hs.FNR[6:]), ctx)


def test_hl7_samples_the_parser_asserts_on_are_refused(ctx: MappingContext) -> None:
    """Inputs on which the hl7 library's parser fails an assertion are parse errors."""
    import glob
    from pathlib import Path

    from connectors.hl7v2.format import FORMAT as HL7

    for path in sorted(glob.glob(str(Path(__file__).parent / "fuzz_samples" / "hl7-*.bin"))):
        with pytest.raises(InputError):
            HL7.accept(Path(path).read_bytes(), ctx)
