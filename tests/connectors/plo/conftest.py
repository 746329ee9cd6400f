"""Fixtures for the PLO/ELIN connector tests: samples, their own pseudonymiser key and receive time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.identity import Pseudonymiser

SAMPLES = Path(__file__).parent / "samples"
RECEIVED_AT = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)
SAMPLE_NUMBERS = ("15076500565", "13116900216", "12057900499")
"""The fictitious persons' numbers in the standard's example messages."""


def sample(name: str) -> bytes:
    """The bytes of the sample file called ``name`` (searched under samples/)."""
    matches = [p for p in SAMPLES.rglob("*.xml") if p.name == name]
    assert len(matches) == 1, name
    return matches[0].read_bytes()


def all_samples() -> list[Path]:
    """Every sample file, sorted."""
    return sorted(SAMPLES.rglob("*.xml"))


def make_fnr(day: int, month: int, year: int, individual: int) -> str:
    """A synthetic fødselsnummer with valid mod-11 check digits (None-free: retries the individual number)."""
    for ind in range(individual, individual + 50):
        digits = [int(c) for c in f"{day:02d}{month:02d}{year % 100:02d}{ind % 1000:03d}"]
        k1 = 11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits, strict=True)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        digits.append(k1)
        k2 = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), digits, strict=True)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        return "".join(map(str, [*digits, k2]))
    raise AssertionError("no valid number found")


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    """A pseudonymiser with one test key."""
    return Pseudonymiser({"t1": b"plo-connector-test-key-0123456789"}, "t1")


@pytest.fixture
def received_at() -> datetime:
    """The PLO tests' fixed receive time."""
    return RECEIVED_AT
