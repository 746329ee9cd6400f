"""Synthetic person numbers for tests and the demo simulator — never real people's numbers.

Synthetic numbers follow Skatteetaten's test convention (month + 80), so they can never collide with a real
fødselsnummer; ``plain=True`` makes numbers with an ordinary month, for tests of the plain format only.
"""

from __future__ import annotations

from datetime import date

from stdnum.no import fodselsnummer

from hub.errors import IdentityError
from hub.identity.numbers import NumberKind


def _individual(born: date, serial: int) -> int:
    """An individual number (3 digits) in the range the birth year allows."""
    if 1900 <= born.year <= 1999:
        return serial % 500
    if 2000 <= born.year <= 2039:
        return 500 + serial % 500
    raise IdentityError(f"no synthetic numbers for birth year {born.year}")


def synthetic_number(
    born: date, serial: int, *, female: bool, kind: NumberKind = NumberKind.FNR, plain: bool = False
) -> str:
    """A valid 11-digit number for ``born``; tries successive serials until the check digits work out."""
    for attempt in range(serial, serial + 2000):
        ind = _individual(born, attempt)
        if (ind % 2 == 0) != female:
            continue
        day = born.day + (40 if kind is NumberKind.DNR else 0)
        # H-nummer already cannot collide with a real fødselsnummer: no + 80 on top of its + 40
        month = born.month + (40 if kind is NumberKind.HNR else 0 if plain else 80)
        if kind is NumberKind.FHNR:
            day = 80 + attempt % 20
        base = f"{day:02d}{month:02d}{born.year % 100:02d}{ind:03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if k1 == "10":
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if k2 == "10":
            continue
        return base + k1 + k2
    raise IdentityError("no valid synthetic number found")
