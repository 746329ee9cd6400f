"""Fuzzing the KPR parsers: random and mutated CSV / XML raise only InputError subclasses, quickly."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.formats import MappingContext
from connectors.kpr import iplos
from connectors.kpr.format import FORMAT
from hub.errors import InputError
from hub.identity import Pseudonymiser
from tests.connectors.kpr.extracts import IPLOS_SAMPLE, SAMPLE_CSV

CTX = MappingContext(
    pseudonymiser=Pseudonymiser({"dev1": b"fuzzing-key-not-a-secret"}, "dev1"),
    received_at=datetime(2024, 4, 3, tzinfo=UTC),
)
iplos.schema()  # load the XSD once before the timed examples


def _try(raw: bytes) -> None:
    try:
        accepted = FORMAT.accept(raw, CTX)
    except InputError:
        return
    assert FORMAT.to_events(accepted.redacted, CTX) == list(accepted.events)


@settings(max_examples=300, deadline=2000)
@given(st.binary(max_size=500))
def test_random_bytes(raw: bytes) -> None:
    """Arbitrary bytes never crash the format."""
    _try(raw)


@settings(max_examples=200, deadline=2000)
@given(st.integers(min_value=0, max_value=len(SAMPLE_CSV)), st.integers(0, 20), st.text(max_size=8))
def test_mutated_csv(position: int, cut: int, junk: str) -> None:
    """A CSV with a slice replaced by arbitrary text raises at most an InputError."""
    _try(SAMPLE_CSV[:position] + junk.encode() + SAMPLE_CSV[position + cut :])


@settings(max_examples=150, deadline=5000)
@given(st.integers(min_value=0, max_value=len(IPLOS_SAMPLE)), st.integers(0, 20), st.text(max_size=8))
def test_mutated_iplos(position: int, cut: int, junk: str) -> None:
    """An IPLOS extract with a slice replaced by arbitrary text raises at most an InputError."""
    _try(IPLOS_SAMPLE[:position] + junk.encode() + IPLOS_SAMPLE[position + cut :])


@settings(max_examples=100, deadline=5000)
@given(
    st.sampled_from(
        [
            b"<tjTjenType>15<",
            b"<tjFraDato>20230115<",
            b"<peKomnr>5038<",
            b"<iiLopenr>2024-Q1-001<",
            b"<iiSysID>GERICA<",
        ]
    ),
    st.text(max_size=12),
)
def test_mutated_iplos_values(anchor: bytes, value: str) -> None:
    """Replacing a mapped element's value by arbitrary text raises at most an InputError."""
    tag = anchor[1 : anchor.index(b">")]
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").encode()
    _try(IPLOS_SAMPLE.replace(anchor, b"<" + tag + b">" + escaped + b"<", 1))
