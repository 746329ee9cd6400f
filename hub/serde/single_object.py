"""Avro single-object encoding: ``C3 01`` + 8-byte little-endian CRC-64-AVRO fingerprint + binary datum.

Used when no schema registry is configured. The fingerprint names the writer schema; a reader knows the
schemas it can read (the current one and any older ones registered with :meth:`SingleObjectCodec.add_writer`).
"""

from __future__ import annotations

import io
import json
from typing import Any, Generic, TypeVar

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from hub.errors import SchemaMismatch, SerdeError
from hub.events.avro_schema import avro_schema, from_datum, to_datum

MAGIC = b"\xc3\x01"
M = TypeVar("M", bound=BaseModel)


def schema_fingerprint(schema: dict[str, Any]) -> bytes:
    """CRC-64-AVRO fingerprint of a schema's parsing canonical form, as the 8 little-endian bytes."""
    canonical = to_parsing_canonical_form(fastavro.parse_schema(schema))
    return bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))


class SingleObjectCodec(Generic[M]):
    """Encodes and decodes one model type in Avro single-object encoding."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.schema = avro_schema(model)
        self._parsed = fastavro.parse_schema(self.schema)
        self.fingerprint = schema_fingerprint(self.schema)
        self._writers: dict[bytes, Any] = {self.fingerprint: self._parsed}

    def close(self) -> None:
        """Nothing to release (part of the codec protocol)."""

    def add_writer(self, schema: dict[str, Any]) -> None:
        """Accept records written with an older (compatible) schema."""
        self._writers[schema_fingerprint(schema)] = fastavro.parse_schema(schema)

    def encode(self, record: M) -> bytes:
        """Single-object bytes of ``record``."""
        buf = io.BytesIO()
        buf.write(MAGIC)
        buf.write(self.fingerprint)
        try:
            fastavro.schemaless_writer(buf, self._parsed, to_datum(record))
        except (ValueError, TypeError) as exc:
            raise SerdeError(f"cannot encode {self.model.__name__}: {exc}") from exc
        return buf.getvalue()

    def decode(self, data: bytes) -> M:
        """The record in ``data``; :class:`SchemaMismatch` for an unknown writer schema."""
        if data[:2] != MAGIC:
            raise SerdeError("not Avro single-object encoding (missing C3 01 marker)")
        writer = self._writers.get(data[2:10])
        if writer is None:
            raise SchemaMismatch(
                f"unknown writer schema fingerprint {data[2:10].hex()} for {self.model.__name__}"
            )
        try:
            datum = fastavro.schemaless_reader(io.BytesIO(data[10:]), writer, self._parsed)
        except (EOFError, ValueError, TypeError) as exc:
            raise SerdeError(f"cannot decode {self.model.__name__}: {exc}") from exc
        if not isinstance(datum, dict):
            raise SerdeError(f"cannot decode {self.model.__name__}: the datum is not a record")
        try:
            return from_datum(self.model, datum)
        except PydanticValidationError as exc:
            raise SerdeError(f"cannot decode {self.model.__name__}: {exc}") from exc


def schema_json(model: type[BaseModel]) -> str:
    """The model's Avro schema as pretty, stable JSON (what ``schemas/*.avsc`` holds)."""
    return json.dumps(avro_schema(model), indent=2, ensure_ascii=False) + "\n"
