"""Validation tables for Norwegian person numbers."""

from __future__ import annotations

from datetime import date

import pytest

from hub.errors import IdentityError
from hub.events.enums import Sex
from hub.identity import NumberKind, parse_person_number
from hub.identity.synthetic import synthetic_number

VALID = [
    # number, kind, birth date, sex, synthetic
    ("15108695088", NumberKind.FNR, date(1986, 10, 15), Sex.FEMALE, False),  # python-stdnum's own example
    (
        synthetic_number(date(1941, 3, 7), 17, female=True, plain=True),
        NumberKind.FNR,
        date(1941, 3, 7),
        Sex.FEMALE,
        False,
    ),
    (
        synthetic_number(date(1941, 3, 7), 17, female=False, kind=NumberKind.DNR, plain=True),
        NumberKind.DNR,
        date(1941, 3, 7),
        Sex.MALE,
        False,
    ),
    (
        synthetic_number(date(1955, 11, 30), 3, female=True, kind=NumberKind.HNR),
        NumberKind.HNR,
        date(1955, 11, 30),
        Sex.FEMALE,
        False,
    ),
    (
        synthetic_number(date(2003, 12, 31), 40, female=False),
        NumberKind.FNR,
        date(2003, 12, 31),
        Sex.MALE,
        True,
    ),
    (
        synthetic_number(date(1990, 1, 1), 9, female=True, kind=NumberKind.DNR),
        NumberKind.DNR,
        date(1990, 1, 1),
        Sex.FEMALE,
        True,
    ),
]


@pytest.mark.parametrize(("number", "kind", "born", "sex", "synthetic"), VALID)
def test_valid_numbers(number: str, kind: NumberKind, born: date, sex: Sex, synthetic: bool) -> None:
    """Valid fødselsnummer, D-, H- and synthetic numbers give kind, birth date and sex."""
    parsed = parse_person_number(number)
    assert (parsed.kind, parsed.birth_date, parsed.sex, parsed.synthetic) == (kind, born, sex, synthetic)
    assert parsed.birth_year == born.year


def test_fh_number_has_no_birth_date() -> None:
    """An FH-nummer (first digit 8 or 9) is valid by its check digits and carries no birth date or sex."""
    number = synthetic_number(date(2000, 1, 1), 5, female=True, kind=NumberKind.FHNR)
    parsed = parse_person_number(number)
    assert number[0] in "89"
    assert (parsed.kind, parsed.birth_date, parsed.sex) == (NumberKind.FHNR, None, Sex.UNKNOWN)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("15108695077", "check digits"),  # wrong check digits
        ("15108695089", "check digits"),
        ("1510869508", "11 digits"),
        ("151086950888", "11 digits"),
        ("1510869508A", "11 digits"),
        ("", "11 digits"),
        ("32018612345", "check digits"),
    ],
)
def test_invalid_numbers(number: str, message: str) -> None:
    """Wrong length, letters and wrong check digits are refused with a reason."""
    with pytest.raises(IdentityError, match=message):
        parse_person_number(number)


def test_impossible_date_with_valid_check_digits() -> None:
    """A number whose check digits work out but whose date is impossible is refused."""
    from stdnum.no import fodselsnummer

    for individual in range(100, 500):
        base = f"310286{individual}"  # 31 February 1986
        k1 = fodselsnummer.calc_check_digit1(base)
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if "10" not in (k1, k2):
            break
    with pytest.raises(IdentityError, match="birth date"):
        parse_person_number(base + k1 + k2)


def test_synthetic_numbers_can_be_refused() -> None:
    """Production can refuse synthetic (month + 80) test numbers."""
    number = synthetic_number(date(1970, 5, 5), 1, female=True)
    with pytest.raises(IdentityError, match="synthetic"):
        parse_person_number(number, allow_synthetic=False)


def test_future_birth_date_is_refused_against_an_explicit_today() -> None:
    """With ``today`` given, a birth date after it is refused (no wall clock in the check)."""
    number = synthetic_number(date(2030, 5, 5), 1, female=True, plain=True)
    assert parse_person_number(number).birth_year == 2030
    with pytest.raises(IdentityError, match="future"):
        parse_person_number(number, today=date(2026, 1, 1))


def test_number_is_not_in_repr() -> None:
    """The number itself never shows in repr (and so never in a log line)."""
    parsed = parse_person_number("15108695088")
    assert "15108695088" not in repr(parsed)
