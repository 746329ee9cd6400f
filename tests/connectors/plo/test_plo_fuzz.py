"""Fuzzing: random and mutated ELIN bytes only ever raise InputError subclasses, in bounded time."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.formats import MappingContext
from connectors.plo.format import FORMAT
from hub.errors import InputError
from hub.identity import Pseudonymiser
from tests.connectors.plo.conftest import all_samples

CTX = MappingContext(
    pseudonymiser=Pseudonymiser({"t1": b"plo-connector-test-key-0123456789"}, "t1"),
    received_at=datetime(2024, 3, 4, tzinfo=UTC),
)
SAMPLE_BYTES = [p.read_bytes() for p in all_samples()]


def _run(payload: bytes) -> None:
    start = time.monotonic()
    try:
        result = FORMAT.accept(payload, CTX)
        assert FORMAT.to_events(result.redacted, CTX) == list(result.events)
    except InputError:
        pass
    assert time.monotonic() - start < 10


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    base = bytearray(draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        pos = draw(st.integers(0, max(len(base) - 1, 0)))
        if kind == "flip" and base:
            base[pos] = draw(st.integers(0, 255))
        elif kind == "delete":
            del base[pos : pos + draw(st.integers(1, 40))]
        elif kind == "insert":
            base[pos:pos] = draw(
                st.sampled_from([b"<", b">", b"&", b"<!DOCTYPE x>", b"\x00", b"]]>", b"&amp;"])
            )
        else:
            base = base[:pos]
    return bytes(base)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_samples_only_raise_input_errors(payload: bytes) -> None:
    """Byte-level mutations of real samples never crash the format with anything but InputError."""
    _run(payload)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_only_raise_input_errors(payload: bytes) -> None:
    """Arbitrary bytes never crash the format with anything but InputError."""
    _run(payload)


@st.composite
def text_mutated(draw: st.DrawFn) -> bytes:
    base = draw(st.sampled_from(SAMPLE_BYTES)).decode("utf-8", errors="replace")
    start = draw(st.integers(0, len(base)))
    junk = draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
    return (base[:start] + junk + base[start + len(junk) :]).encode("utf-8")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_mutated())
def test_text_mutations_only_raise_input_errors(payload: bytes) -> None:
    """Character-level overwrites (dates, codes, ids) never crash the format with anything but InputError."""
    _run(payload)
