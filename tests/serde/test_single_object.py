"""Tests of Avro single-object encoding and the schemas generated from the models."""

from __future__ import annotations

import json

import fastavro
import pytest

from hub.errors import SchemaMismatch, SerdeError
from hub.events import Event
from hub.events.avro_schema import avro_schema
from hub.serde import SingleObjectCodec, TopicCodec, schema_fingerprint
from hub.serde.catalog import SCHEMA_FILES, schemas_dir
from hub.serde.single_object import schema_json
from tests.factories import all_examples


@pytest.mark.parametrize("event", all_examples(), ids=lambda e: e.event_type.value)
def test_every_event_type_round_trips(event: Event) -> None:
    """Every event type encodes to single-object bytes and decodes to an equal event."""
    codec = SingleObjectCodec(Event)
    data = codec.encode(event)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == codec.fingerprint
    assert codec.decode(data) == event


def test_fingerprint_matches_the_avro_specification() -> None:
    """The CRC-64-AVRO fingerprint of "null" is the spec's 0x63dd24e7cc258f8a, little-endian."""
    assert schema_fingerprint("null") == (0x63DD24E7CC258F8A).to_bytes(8, "little")  # type: ignore[arg-type]


def test_unknown_writer_schema_is_a_schema_mismatch() -> None:
    """Bytes written with a schema the reader does not know raise SchemaMismatch."""
    codec = SingleObjectCodec(Event)
    data = bytearray(codec.encode(all_examples()[0]))
    data[2:10] = b"\x00" * 8
    with pytest.raises(SchemaMismatch, match="unknown writer schema"):
        codec.decode(bytes(data))


def test_garbage_is_a_serde_error() -> None:
    """Bytes without the single-object marker are refused with a clear error."""
    with pytest.raises(SerdeError, match="C3 01"):
        SingleObjectCodec(Event).decode(b"\x01\x02\x03")
    with pytest.raises(SerdeError, match="unknown encoding"):
        TopicCodec(Event, "t", None).decode(b"\x07abc")


def test_truncated_record_is_a_serde_error() -> None:
    """A record cut short fails to decode with SerdeError, never a crash."""
    codec = SingleObjectCodec(Event)
    data = codec.encode(all_examples()[0])
    with pytest.raises(SerdeError):
        codec.decode(data[:-20])


def test_schema_is_valid_avro_with_a_union_body() -> None:
    """The generated Event schema parses with fastavro and its body is a union of every body record."""
    schema = avro_schema(Event)
    fastavro.parse_schema(schema)
    body = next(f for f in schema["fields"] if f["name"] == "body")
    names = {b["name"] if isinstance(b, dict) else b.rsplit(".", 1)[1] for b in body["type"]}
    assert {"Admission", "Discharge", "Mission", "Capacity", "ManualAvvik"} <= names


def test_committed_schemas_match_the_models() -> None:
    """schemas/*.avsc equal what the models generate (run `hub schemas generate` after a model change)."""
    for filename, model in SCHEMA_FILES.items():
        committed = (schemas_dir() / filename).read_text(encoding="utf-8")
        assert json.loads(committed) == json.loads(schema_json(model)), filename
