"""Pick the codec for a topic: Confluent wire format when a registry URL is set, else single-object encoding.

Decoding accepts both encodings regardless of the setting (the first byte tells them apart), so a consumer
keeps working while producers migrate.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from hub.errors import SerdeError
from hub.serde.single_object import MAGIC, SingleObjectCodec
from hub.settings import HubSettings

M = TypeVar("M", bound=BaseModel)
M_co = TypeVar("M_co", bound=BaseModel, covariant=True)


class Codec(Protocol[M]):
    """Encodes and decodes one model type."""

    def encode(self, record: M) -> bytes: ...

    def decode(self, data: bytes) -> M: ...

    def close(self) -> None: ...


class TopicCodec(Generic[M]):
    """Encodes with the configured encoding; decodes either encoding."""

    def __init__(
        self,
        model: type[M],
        topic: str,
        registry_url: str | None,
        *,
        timeout_s: float = 10.0,
        attempts: int = 3,
    ) -> None:
        self.model = model
        self.topic = topic
        self._single = SingleObjectCodec(model)
        self._wire: Codec[M] | None = None
        if registry_url:
            from hub.serde.registry import RegistryCodec, registry_client

            client = registry_client(registry_url, timeout_s, attempts)
            self._wire = RegistryCodec(client, model, topic, attempts=attempts)

    def encode(self, record: M) -> bytes:
        """Bytes of ``record`` for this topic."""
        return (self._wire or self._single).encode(record)

    def close(self) -> None:
        """Release the registry client's connections (no-op without a registry)."""
        if self._wire is not None:
            self._wire.close()

    def decode(self, data: bytes) -> M:
        """The record in ``data``, in whichever encoding it was written."""
        if data[:2] == MAGIC:
            return self._single.decode(data)
        if data[:1] == b"\x00":
            if self._wire is None:
                raise SerdeError(f"{self.topic}: wire-format record but no registry URL configured")
            return self._wire.decode(data)
        raise SerdeError(f"{self.topic}: unknown encoding (first byte {data[:1].hex() or 'none'})")


def codec_for(settings: HubSettings, model: type[M], topic: str) -> TopicCodec[M]:
    """The codec of ``model`` records on ``topic`` under ``settings``."""
    registry = settings.registry
    return TopicCodec(model, topic, registry.url, timeout_s=registry.timeout_s, attempts=registry.attempts)
