"""Synthetic source facts per synthetic patient: a test person number, birth date, sex and kommune.

The synth timeline carries pseudonyms; a sender of real protocol messages needs a person number instead.
Each pseudonym is mapped, deterministically, to a Skatteetaten test number (month + 80, never a real
fødselsnummer) with the pseudonym's birth year and sex; the connectors pseudonymise it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hub.events import Patient, Sex
from hub.identity.synthetic import synthetic_number


@dataclass(frozen=True, slots=True)
class Person:
    """What a source system knows about a synthetic patient."""

    number: str
    born: date
    female: bool
    kommune: str | None
    serial: int
    opphold: str | None = None
    """Oppholdskommune when the patient stays in another kommune than the bostedskommune."""

    @property
    def sex_code(self) -> str:
        """HL7 administrative sex (F/M)."""
        return "F" if self.female else "M"

    @property
    def kith_sex(self) -> str:
        """KITH code list 3101: 1 mann, 2 kvinne."""
        return "2" if self.female else "1"


def person_for(patient: Patient) -> Person:
    """The synthetic person behind a synth patient (same patient, same person)."""
    digest = (
        int(patient.pseudonym[:16], 16) if _is_hex(patient.pseudonym[:16]) else hash_text(patient.pseudonym)
    )
    year = patient.birth_year or 1950
    year = min(max(year, 1900), 2039)
    born = date(year, 1 + digest % 12, 1 + (digest >> 4) % 28)
    female = patient.sex is not Sex.MALE
    serial = (digest >> 12) % 500
    number = synthetic_number(born, serial, female=female)
    opphold = patient.oppholdskommune if patient.oppholdskommune != patient.bostedskommune else None
    return Person(number, born, female, patient.bostedskommune, serial, opphold)


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text.lower())


def hash_text(text: str) -> int:
    """A stable (not per-process salted) integer hash of ``text``."""
    value = 0
    for ch in text.encode():
        value = (value * 131 + ch) % (1 << 61)
    return value


class PersonBook:
    """Remembers the person of each pseudonym (so every message of a patient names the same person)."""

    def __init__(self) -> None:
        self._people: dict[str, Person] = {}

    def __call__(self, patient: Patient) -> Person:
        """The person of ``patient``."""
        person = self._people.get(patient.pseudonym)
        if person is None:
            person = self._people[patient.pseudonym] = person_for(patient)
        return person
