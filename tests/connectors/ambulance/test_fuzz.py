"""Fuzzing the ambulance parser: random and mutated inputs raise only InputError subclasses, quickly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.ambulance.format import FORMAT
from connectors.formats import MappingContext
from hub.errors import InputError
from hub.identity import Pseudonymiser
from tests.connectors.ambulance.messages import mission, payload

CTX = MappingContext(
    pseudonymiser=Pseudonymiser({"dev1": b"fuzzing-key-not-a-secret"}, "dev1"),
    received_at=datetime(2024, 3, 1, tzinfo=UTC),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def _try(raw: bytes) -> None:
    try:
        accepted = FORMAT.accept(raw, CTX)
    except InputError:
        return
    assert FORMAT.to_events(accepted.redacted, CTX) == list(accepted.events)


@settings(max_examples=300, deadline=1000)
@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    """Arbitrary bytes never crash the parser."""
    _try(raw)


@settings(max_examples=300, deadline=1000)
@given(st.sampled_from(sorted(mission("ARRIVED"))), JSON_VALUES)
def test_mutated_field(field: str, value: object) -> None:
    """Replacing any field of a valid message by any JSON value raises at most an InputError."""
    data = mission("ARRIVED")
    data[field] = value
    _try(json.dumps(data).encode())


@settings(max_examples=300, deadline=1000)
@given(st.integers(min_value=0, max_value=300), st.binary(min_size=1, max_size=5))
def test_spliced_bytes(position: int, junk: bytes) -> None:
    """Bytes spliced into a valid message raise at most an InputError."""
    raw = payload("ARRIVED")
    _try(raw[:position] + junk + raw[position:])
