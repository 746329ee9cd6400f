"""Tests of keyed HMAC pseudonyms, redaction tokens and dead-letter sealing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import ConfigError, IdentityError
from hub.events.enums import Sex
from hub.identity import Pseudonymiser, is_token
from hub.identity.sealing import Sealer
from hub.identity.synthetic import synthetic_number

KEYS = {"k1": b"first-secret-key-0123456789", "k2": b"second-secret-key-987654321"}
NUMBER = synthetic_number(date(1938, 6, 1), 11, female=True)


def test_pseudonym_is_stable_and_keyed() -> None:
    """The same number and key give the same pseudonym; another key gives another."""
    p1 = Pseudonymiser(KEYS, "k1").person(NUMBER)
    assert p1 == Pseudonymiser(KEYS, "k1").person(NUMBER)
    p2 = Pseudonymiser(KEYS, "k2").person(NUMBER)
    assert p1.pseudonym != p2.pseudonym
    assert (p1.key_id, p2.key_id) == ("k1", "k2")
    assert (p1.birth_year, p1.sex) == (1938, Sex.FEMALE)


def test_pseudonym_does_not_contain_the_number() -> None:
    """Neither pseudonym nor token contains the person number."""
    person = Pseudonymiser(KEYS, "k1").person(NUMBER)
    assert NUMBER not in person.pseudonym
    assert NUMBER not in person.token


def test_token_resolves_to_the_same_person() -> None:
    """A redaction token resolves to the pseudonym, key, birth year and sex it was made from."""
    psn = Pseudonymiser(KEYS, "k1")
    person = psn.person(NUMBER)
    assert is_token(person.token)
    back = psn.resolve(person.token)
    assert (back.pseudonym, back.key_id, back.birth_year, back.sex) == (
        person.pseudonym,
        person.key_id,
        person.birth_year,
        person.sex,
    )


def test_token_of_an_old_key_still_resolves_after_rotation() -> None:
    """After rotating to k2, tokens made under k1 still resolve with their own key id."""
    old = Pseudonymiser(KEYS, "k1").person(NUMBER)
    rotated = Pseudonymiser(KEYS, "k2")
    assert rotated.resolve(old.token).key_id == "k1"
    assert rotated.person(NUMBER).key_id == "k2"


def test_unknown_key_and_invalid_numbers_are_refused() -> None:
    """Tokens of unknown keys and invalid numbers raise IdentityError; bad key config raises ConfigError."""
    token = Pseudonymiser(KEYS, "k1").person(NUMBER).token
    with pytest.raises(IdentityError, match="unknown key"):
        Pseudonymiser({"k2": KEYS["k2"]}, "k2").resolve(token)
    with pytest.raises(IdentityError):
        Pseudonymiser(KEYS, "k1").resolve("12345678901")
    with pytest.raises(ConfigError):
        Pseudonymiser(KEYS, "nope")
    with pytest.raises(ConfigError, match="16 bytes"):
        Pseudonymiser({"k": b"short"}, "k")


@given(st.text(max_size=40))
def test_resolve_never_crashes(text: str) -> None:
    """Any text either resolves or raises IdentityError."""
    psn = Pseudonymiser(KEYS, "k1")
    try:
        person = psn.resolve(text)
    except IdentityError:
        return
    assert len(person.pseudonym) == 32


def test_sealed_dead_letters_open_only_with_the_key() -> None:
    """Sealed payloads open with their key and not with another, and do not contain the plain text."""
    sealer = Sealer(KEYS, "k1")
    sealed = sealer.seal(NUMBER.encode())
    assert NUMBER.encode() not in sealed
    assert sealer.open_sealed(sealed, "k1") == NUMBER.encode()
    with pytest.raises(IdentityError):
        sealer.open_sealed(sealed, "k2")
