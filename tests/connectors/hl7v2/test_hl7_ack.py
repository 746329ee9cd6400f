"""ACK contents: MSH routing, MSA-1/MSA-2, and the ERR segment with a table 0357 code."""

from __future__ import annotations

from datetime import UTC, datetime

import hl7

from connectors.hl7v2.ack import AckError, build_ack, error_for
from connectors.hl7v2.parse import peek_header
from hub.errors import ParseError, UnsupportedMessage, ValidationError
from tests.connectors.hl7v2.hl7_samples import adt

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _parse(ack: bytes) -> hl7.Message:
    return hl7.parse(ack.decode())


def test_positive_ack_echoes_control_id_and_swaps_routing() -> None:
    """AA carries MSA-2 = original MSH-10, swaps sender/receiver and names the trigger; no ERR."""
    ack = _parse(build_ack(peek_header(adt(control_id="C-77")), "AA", now=NOW))
    assert str(ack.segment("MSA")[1]) == "AA"
    assert str(ack.segment("MSA")[2]) == "C-77"
    assert str(ack.segment("MSH")[3]) == "HUB"
    assert str(ack.segment("MSH")[5]) == "DIPS"
    assert str(ack.segment("MSH")[9]) == "ACK^A01^ACK"
    assert str(ack.segment("MSH")[12]) == "2.5"
    assert not [s for s in ack if str(s[0]) == "ERR"]


def test_error_ack_has_err_with_code_location_and_message() -> None:
    """AR for a missing field has ERR-2 location, ERR-3 code 101 from HL70357, ERR-4 E and ERR-8 text."""
    error = error_for(ValidationError("PV1-19 visit number is missing", code="required", location="PV1-19"))
    ack = _parse(build_ack(peek_header(adt()), "AR", error=error, now=NOW))
    err = ack.segment("ERR")
    assert str(ack.segment("MSA")[1]) == "AR"
    assert str(err[2]) == "PV1^1^19"
    assert str(err[3]) == "101^Required field missing^HL70357"
    assert str(err[4]) == "E"
    assert str(err[8]) == "PV1-19 visit number is missing"


def test_error_codes_follow_the_error_kind() -> None:
    """Parse errors give 100, identity errors 102, unsupported events 201 and unknown codes a kind default."""
    assert error_for(ParseError("x")).code == "100"
    assert error_for(ValidationError("x", code="identity")).code == "102"
    assert error_for(UnsupportedMessage("x", code="unsupported_event")).code == "201"
    assert error_for(UnsupportedMessage("x", code="other")).code == "200"


def test_delimiters_in_the_message_are_escaped() -> None:
    """A reason containing | ^ ~ & is escaped so the ACK still parses into the same fields."""
    error = AckError("207", "Application internal error", "bad | field ^ rep ~ sub & end")
    ack = build_ack(peek_header(adt()), "AE", error=error, now=NOW)
    assert b"\\F\\" in ack
    assert len(_parse(ack).segment("ERR")) == 9


def test_ack_without_readable_header_still_parses() -> None:
    """Garbage in (no MSH) still gets a well-formed ACK with an empty MSA-2."""
    error = error_for(ParseError("the message must start with an MSH segment"))
    ack = _parse(build_ack(peek_header(b"garbage"), "AR", error=error, now=NOW))
    assert str(ack.segment("MSA")[1]) == "AR"
    assert str(ack.segment("MSA")[2]) == ""
