"""Confluent wire format (magic 0 + 4-byte schema id + datum) through a Confluent-compatible schema registry.

Uses confluent-kafka's ``SchemaRegistryClient`` with its ``AvroSerializer`` / ``AvroDeserializer``; the local
registry is Apicurio's ccompat API (``/apis/ccompat/v7``). Subjects follow the topic name strategy
(``<topic>-value``); schemas are registered on first use.
"""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar

import httpx2  # the HTTP client confluent-kafka's registry client uses on Python >= 3.10
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError
from fastavro.read import SchemaResolutionError
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from hub.errors import SchemaMismatch, SerdeError
from hub.events.avro_schema import avro_schema, from_datum, to_datum

M = TypeVar("M", bound=BaseModel)


def registry_client(url: str, timeout_s: float = 10.0, attempts: int = 3) -> SchemaRegistryClient:
    """A registry client for ``url`` (e.g. ``http://127.0.0.1:8081/apis/ccompat/v7``).

    confluent-kafka's client has no request timeout by default: one unanswered request would hang the
    producer (a connector, the worker) for good. Every request gets ``timeout_s``; the client itself tries a
    failed or timed-out request again, with backoff, up to ``attempts`` times in all.
    """
    return SchemaRegistryClient({"url": url, "timeout": timeout_s, "max.retries": attempts - 1})


class RegistryCodec(Generic[M]):
    """Encodes and decodes one model type for one topic in the Confluent wire format."""

    def __init__(
        self, client: SchemaRegistryClient, model: type[M], topic: str, *, attempts: int = 3
    ) -> None:
        self.model = model
        self.topic = topic
        self._client = client
        self._attempts = attempts
        schema_str = json.dumps(avro_schema(model))
        self._ctx = SerializationContext(topic, MessageField.VALUE)
        self._ser = AvroSerializer(client, schema_str, lambda obj, _ctx: to_datum(obj))
        self._de = AvroDeserializer(client, schema_str, lambda d, _ctx: d)

    def encode(self, record: M) -> bytes:
        """Wire-format bytes of ``record`` (registers the schema on first use)."""
        try:
            data = self._ser(record, self._ctx)
        except httpx2.TransportError as exc:
            raise SerdeError(
                f"cannot encode {self.model.__name__} for {self.topic}: {self._unreachable(exc)}"
            ) from exc
        except Exception as exc:
            raise SerdeError(f"cannot encode {self.model.__name__} for {self.topic}: {exc}") from exc
        if not isinstance(data, bytes):
            raise SerdeError(f"serializer returned no bytes for {self.model.__name__}")
        return data

    def _unreachable(self, exc: httpx2.TransportError) -> str:
        return (
            f"schema registry did not answer ({type(exc).__name__}: {exc or 'no detail'}) "
            f"in {self._attempts} attempt(s)"
        )

    def close(self) -> None:
        """Close the registry client's HTTP connections."""
        self._client.close()

    def decode(self, data: bytes) -> M:
        """The record in wire-format ``data``."""
        if not data or data[0] != 0:
            raise SerdeError("not Confluent wire format (magic byte 0 missing)")
        try:
            datum: Any = self._de(data, self._ctx)
        except httpx2.TransportError as exc:
            raise SerdeError(
                f"cannot decode {self.model.__name__} from {self.topic}: {self._unreachable(exc)}"
            ) from exc
        except SchemaRegistryError as exc:
            raise SchemaMismatch(f"writer schema of {self.topic} record not found: {exc}") from exc
        except (SerializationError, SchemaResolutionError, ValueError, TypeError, EOFError) as exc:
            raise SerdeError(f"cannot decode {self.model.__name__} from {self.topic}: {exc}") from exc
        except Exception as exc:
            raise SerdeError(f"cannot decode {self.model.__name__} from {self.topic}: {exc}") from exc
        try:
            return from_datum(self.model, datum)
        except PydanticValidationError as exc:
            raise SerdeError(f"decoded {self.model.__name__} is invalid: {exc}") from exc
