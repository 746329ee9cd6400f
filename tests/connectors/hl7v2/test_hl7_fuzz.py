"""Fuzzing the HL7 parser and mapper: random and mutated input only ever raises InputError subclasses."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.hl7v2.format import FORMAT
from connectors.hl7v2.parse import peek_header
from hub.errors import InputError
from tests.connectors.hl7v2.hl7_samples import DNR, adt, context

SEEDS = [adt(t) for t in ("A01", "A02", "A03", "A08", "A11", "A13")] + [adt(number=DNR)]
DELIMS = [b"|", b"^", b"~", b"\\", b"&", b"\r", b"\n", b"", b"MSH", b"PID", b"\x00", b"\xff", b"\xc3"]


def _check(payload: bytes) -> None:
    peek_header(payload)
    try:
        accepted = FORMAT.accept(payload, context())
    except InputError:
        return
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_input_errors(payload: bytes) -> None:
    """Arbitrary bytes are either accepted or rejected with an InputError; nothing else escapes."""
    _check(payload)


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300).map(lambda b: b"MSH|^~\\&|" + b))
def test_random_after_msh_raise_only_input_errors(payload: bytes) -> None:
    """Bytes after a valid MSH start are either accepted or rejected with an InputError."""
    _check(payload)


@settings(max_examples=600, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=2000), st.integers(0, 8), st.sampled_from(DELIMS)),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_messages_raise_only_input_errors(seed: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    """A valid ADT with bytes cut or replaced by delimiters is accepted consistently or rejected cleanly."""
    data = bytearray(seed)
    for pos, cut, insert in edits:
        at = pos % (len(data) + 1)
        data[at : at + cut] = insert
    _check(bytes(data))
