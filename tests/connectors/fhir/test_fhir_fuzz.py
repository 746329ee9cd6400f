"""Fuzzing the FHIR reader and mapper: random and mutated input only ever raises InputError subclasses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.fhir.format import FORMAT
from hub.errors import InputError
from tests.connectors.fhir.fhir_samples import bundle, context, dumps, encounter

SEEDS = [encounter(), encounter("finished", end="2024-03-02T10:00:00+01:00"), bundle(), bundle("message")]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _check(payload: bytes) -> None:
    try:
        accepted = FORMAT.accept(payload, context())
    except InputError:
        return
    assert FORMAT.to_events(accepted.redacted, context()) == list(accepted.events)


@settings(max_examples=300, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_input_errors(payload: bytes) -> None:
    """Arbitrary bytes are accepted or rejected with an InputError; nothing else escapes."""
    _check(payload)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, (*prefix, i))
    return out


@settings(max_examples=400, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_mutated_documents_raise_only_input_errors(seed: dict[str, Any], data: st.DataObject) -> None:
    """A document with elements replaced by random JSON is accepted consistently or rejected cleanly."""
    doc = json.loads(json.dumps(seed))
    paths = [p for p in _paths(doc) if p]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        target = doc
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = data.draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue
    _check(dumps(doc))


@settings(max_examples=200, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), cut=st.integers(0, 3000))
def test_truncated_documents_raise_only_input_errors(seed: dict[str, Any], cut: int) -> None:
    """A document cut short anywhere is a ParseError (or still whole)."""
    payload = dumps(seed)
    _check(payload[: cut % (len(payload) + 1)])


def test_deeply_nested_json_is_rejected() -> None:
    """Pathologically nested JSON is a clean InputError, not a RecursionError."""
    payload = b'{"resourceType":"Encounter","x":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(InputError) as info:
        FORMAT.accept(payload, context())
    assert info.value.code == "structure"
