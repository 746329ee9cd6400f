"""Validation of Norwegian person identifiers: fødselsnummer, D-nummer, H-nummer and FH-nummer.

Check digits (mod-11, two digits) come from python-stdnum (``stdnum.no.fodselsnummer``). The birth-date rules
are extended here for what stdnum refuses on purpose or does not know:

* D-nummer: first digit + 4 (day 41–71), for people without a Norwegian fødselsnummer;
* H-nummer: month + 40 (help numbers used inside health institutions);
* synthetic test numbers (Skatteetaten/Tenor, NAV Dolly): month + 80 (or + 40 in older test sets) — accepted
  only when ``allow_synthetic`` is true, as test environments need them and production must not see them;
* FH-nummer: first digit 8 or 9, carries no birth date or sex by design; valid when its check digits are.

Nothing here reads the wall clock; the caller may pass ``today`` to reject future birth dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from stdnum.no import fodselsnummer

from hub.errors import IdentityError
from hub.events.enums import Sex


class NumberKind(StrEnum):
    """Which kind of Norwegian person identifier a number is."""

    FNR = "FNR"
    DNR = "DNR"
    HNR = "HNR"
    FHNR = "FHNR"


@dataclass(frozen=True, slots=True)
class PersonNumber:
    """A validated person identifier. The number itself is kept out of ``repr`` so it never reaches a log."""

    number: str = field(repr=False)
    kind: NumberKind
    birth_date: date | None
    sex: Sex
    synthetic: bool = False

    @property
    def birth_year(self) -> int | None:
        """Year of birth, or None for FH-nummer."""
        return self.birth_date.year if self.birth_date else None


def _century(yy: int, individual: int) -> int:
    if individual < 500:
        return 1900 + yy
    if individual < 750 and yy >= 54:
        return 1800 + yy
    if yy < 40:
        return 2000 + yy
    if individual >= 900:
        return 1900 + yy
    raise IdentityError("the birth century cannot be determined from the individual number")


def parse_person_number(
    text: str, *, allow_synthetic: bool = True, today: date | None = None
) -> PersonNumber:
    """Validate ``text`` as a fødselsnummer, D-, H- or FH-nummer; raise :class:`IdentityError` if not."""
    number = fodselsnummer.compact(text)
    if len(number) != 11 or not (number.isascii() and number.isdigit()):  # "²".isdigit() is True
        raise IdentityError("a Norwegian person number has 11 digits")
    if number[9] != fodselsnummer.calc_check_digit1(number) or number[10] != fodselsnummer.calc_check_digit2(
        number
    ):
        raise IdentityError("invalid check digits (mod-11)")
    first = int(number[0])
    if first in (8, 9):
        return PersonNumber(number, NumberKind.FHNR, None, Sex.UNKNOWN)
    day, month, yy, individual = int(number[0:2]), int(number[2:4]), int(number[4:6]), int(number[6:9])
    kind = NumberKind.FNR
    synthetic = False
    if day > 40:
        kind, day = NumberKind.DNR, day - 40
    if month > 80:
        synthetic, month = True, month - 80
    elif month > 40:
        # H-nummer and older synthetic test sets share month + 40; both are treated as H-nummer.
        kind, month = (NumberKind.HNR if kind is NumberKind.FNR else kind), month - 40
    if synthetic and not allow_synthetic:
        raise IdentityError("synthetic test number (month + 80) not allowed here")
    try:
        born = date(_century(yy, individual), month, day)
    except ValueError as exc:
        raise IdentityError("the number does not contain a valid birth date") from exc
    if today is not None and born > today:
        raise IdentityError("the birth date lies in the future")
    sex = Sex.MALE if int(number[8]) % 2 else Sex.FEMALE
    return PersonNumber(number, kind, born, sex, synthetic)
