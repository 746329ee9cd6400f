"""The schema-evolution gate's registry: confluent-kafka's client on a Confluent-compatible registry.

Apicurio's ccompat API answers the same calls as Confluent's: ``/config/{subject}``,
``/compatibility/subjects/{subject}/versions/latest`` and the subject's versions.
"""

from __future__ import annotations

import json

import httpx2
from confluent_kafka.schema_registry import Schema as RegistrySchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from hub.errors import InfraError
from hub.ops.compat import Compatibility
from hub.ops.evolution import Schema
from hub.serde.registry import registry_client
from hub.settings import RegistrySettings

_NOT_FOUND = 404


class ConfluentRegistry:
    """:class:`hub.ops.evolution.SchemaRegistry` over ``SchemaRegistryClient``."""

    def __init__(self, client: SchemaRegistryClient) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: RegistrySettings) -> ConfluentRegistry:
        """The registry of ``HUB_REGISTRY__*``; :class:`InfraError` when no URL is configured."""
        if not settings.url:
            raise InfraError("no schema registry configured (HUB_REGISTRY__URL is empty)")
        return cls(registry_client(settings.url, settings.timeout_s, settings.attempts))

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def _call(self, what: str, subject: str, fn: object, *args: object) -> object:
        try:
            return fn(*args)  # type: ignore[operator]
        except httpx2.TransportError as exc:
            raise InfraError(f"schema registry did not answer ({what} {subject}): {exc}") from exc
        except SchemaRegistryError as exc:
            if exc.http_status_code == _NOT_FOUND:
                return None
            raise InfraError(f"schema registry refused {what} {subject}: {exc}") from exc

    def compatibility(self, subject: str) -> Compatibility | None:
        """The subject's own level, or None."""
        level = self._call("get compatibility of", subject, self._client.get_compatibility, subject)
        return Compatibility(str(level)) if level else None

    def set_compatibility(self, subject: str, level: Compatibility) -> None:
        """Set the subject's level."""
        self._call("set compatibility of", subject, self._client.set_compatibility, subject, level.value)

    def versions(self, subject: str) -> list[Schema]:
        """Every registered version, oldest first."""
        numbers = self._call("list versions of", subject, self._client.get_versions, subject)
        if not isinstance(numbers, list):
            return []
        schemas = []
        for number in sorted(numbers):
            registered = self._call("read version of", subject, self._client.get_version, subject, number)
            if registered is not None:
                schemas.append(json.loads(registered.schema.schema_str))  # type: ignore[attr-defined]
        return schemas

    def is_compatible(self, subject: str, schema: Schema) -> bool:
        """The registry's compatibility answer for ``schema`` as the subject's next version."""
        answer = self._call(
            "test compatibility with",
            subject,
            self._client.test_compatibility,
            subject,
            RegistrySchema(json.dumps(schema), "AVRO"),
        )
        return bool(answer) if answer is not None else True

    def register(self, subject: str, schema: Schema) -> int:
        """Register ``schema`` under the subject."""
        schema_id = self._call(
            "register under",
            subject,
            self._client.register_schema,
            subject,
            RegistrySchema(json.dumps(schema), "AVRO"),
        )
        if not isinstance(schema_id, int):
            raise InfraError(f"schema registry returned no id registering under {subject}")
        return schema_id
