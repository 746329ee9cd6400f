"""Redaction: no person number, name, address, phone or birth date in the raw-topic payload; same events."""

from __future__ import annotations

import re

import pytest

from connectors.formats import MappingContext
from connectors.plo import schemas
from connectors.plo.format import FORMAT
from connectors.plo.msghead import validate_msghead
from connectors.plo.xmlsafe import namespace, parse
from hub.identity import Pseudonymiser
from tests.connectors.plo.conftest import SAMPLE_NUMBERS, all_samples, make_fnr, sample

NAMES = [b"Gundersen", b"Roland", b"Telokk", b"Gry", b"Danser", b"Line", b"Omsorg", b"Gunn", b"Lin", b"Rita"]
ADDRESSES = [b"Flaklypa", "Flåklypa 31".encode(), b"Lungegaardsbakken 13", b"tel:73555555", b"5020"]


def _accepted_samples(ctx: MappingContext) -> list[tuple[str, bytes, object]]:
    return [(path.name, path.read_bytes(), FORMAT.accept(path.read_bytes(), ctx)) for path in all_samples()]


def test_redacted_payload_has_no_person_number_or_name(ctx: MappingContext) -> None:
    """No sample person number, person name, street address or phone number survives redaction."""
    accepted = _accepted_samples(ctx)
    assert len(accepted) == len(all_samples())
    for name, _original, result in accepted:
        redacted: bytes = result.redacted  # type: ignore[attr-defined]
        for number in SAMPLE_NUMBERS:
            assert number.encode() not in redacted, name
        assert not re.search(rb"(?<!\d)\d{11}(?!\d)", redacted), name
        for person in NAMES:
            assert not re.search(rb"<[^>]*(FamilyName|GivenName|Name)>" + person, redacted), (name, person)
        for address in ADDRESSES:
            assert address not in redacted, (name, address)
        assert b"DateOfBirth" not in redacted, name


def test_redacted_payload_carries_tokens(ctx: MappingContext, pseudonymiser: Pseudonymiser) -> None:
    """The patient's Ident Id becomes the person's PSN1 token; bostedskommune-bearing County is kept."""
    result = FORMAT.accept(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"), ctx)
    token = pseudonymiser.resolve("15076500565").token
    assert f"<Id>{token}</Id>".encode() in result.redacted
    assert b"Ortopedisk avdeling" in result.redacted  # organisation names remain
    assert b"Pasienten ble innlagt" in result.redacted  # free text remains (documented)


@pytest.mark.parametrize("path", all_samples(), ids=lambda p: p.name)
def test_to_events_of_redacted_equals_events(path: object, ctx: MappingContext) -> None:
    """Mapping the redacted payload gives exactly the events of the original."""
    payload = path.read_bytes()  # type: ignore[attr-defined]
    result = FORMAT.accept(payload, ctx)
    assert FORMAT.to_events(result.redacted, ctx) == list(result.events)
    assert FORMAT.to_events(payload, ctx) == list(result.events)


@pytest.mark.parametrize("path", all_samples(), ids=lambda p: p.name)
def test_redacted_payload_still_validates(path: object, ctx: MappingContext) -> None:
    """The redacted document is still valid against its schemas."""
    result = FORMAT.accept(path.read_bytes(), ctx)  # type: ignore[attr-defined]
    root = parse(result.redacted)
    if namespace(root) == schemas.MSGHEAD_NS:
        validate_msghead(root)
    else:
        schemas.validate(root, namespace(root))


def test_redaction_is_idempotent(ctx: MappingContext) -> None:
    """Accepting an already redacted payload redacts nothing further."""
    once = FORMAT.accept(sample("Utskrivningsrapport_v1-6_Ny.xml"), ctx).redacted
    assert FORMAT.accept(once, ctx).redacted == once


def test_person_number_in_free_text_is_replaced(ctx: MappingContext, pseudonymiser: Pseudonymiser) -> None:
    """A valid person number written in free text is replaced by its token too."""
    relative = make_fnr(3, 4, 1950, 123)
    payload = sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml").replace(
        b"ved Ortopedisk avdeling", f"ved Ortopedisk avdeling, pårørende {relative}".encode()
    )
    redacted = FORMAT.accept(payload, ctx).redacted
    assert relative.encode() not in redacted
    assert pseudonymiser.resolve(relative).token.encode() in redacted


def test_synthetic_patient_number_round_trips(ctx: MappingContext) -> None:
    """A generated synthetic patient number maps, redacts and re-maps to the same events."""
    number = make_fnr(24, 12, 1940, 412)
    payload = sample("Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml").replace(
        b"15076500565", number.encode()
    )
    result = FORMAT.accept(payload, ctx)
    assert number.encode() not in result.redacted
    assert result.events[0].patient is not None
    assert result.events[0].patient.birth_year == 1940
    assert FORMAT.to_events(result.redacted, ctx) == list(result.events)
