"""Where connectors write records: :class:`KafkaSink` (real broker, acks=all, idempotent) or
:class:`MemorySink`.

``send`` returns only after the broker acknowledged the write, so a protocol server can answer its sender
positively only for data that is durably in Kafka.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from hub.errors import DeliveryError
from hub.settings import HubSettings


class RecordSink(Protocol):
    """A durable destination for key/value records."""

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Write one record; return after it is acknowledged, raise :class:`DeliveryError` if it is not."""
        ...


@dataclass
class MemorySink:
    """In-memory sink for tests; ``fail_with`` makes every send fail like an unreachable broker."""

    records: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    fail_with: str | None = None

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Record the write (or fail as configured)."""
        if self.fail_with is not None:
            raise DeliveryError(self.fail_with)
        self.records.append((topic, key, value))

    def on(self, topic: str) -> list[tuple[bytes, bytes]]:
        """Key/value pairs written to ``topic``."""
        return [(k, v) for t, k, v in self.records if t == topic]


class KafkaSink:
    """confluent-kafka producer bridged to asyncio: one background thread serves delivery callbacks."""

    def __init__(self, config: dict[str, Any], *, delivery_timeout_ms: int = 30_000) -> None:
        conf = {
            **config,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 2,
            "delivery.timeout.ms": delivery_timeout_ms,
        }
        self._producer = Producer(conf)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="kafka-sink-poll", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: HubSettings) -> KafkaSink:
        """A sink for the configured Kafka cluster."""
        return cls(settings.kafka.confluent_config())

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Produce and wait for the broker's acknowledgement."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            def settle() -> None:
                if done.done():
                    return
                if err is not None:
                    done.set_exception(
                        DeliveryError(f"Kafka did not confirm the write to {topic}: {err.str()}")
                    )
                else:
                    done.set_result(None)

            loop.call_soon_threadsafe(settle)

        try:
            self._producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
        except (KafkaException, BufferError) as exc:
            raise DeliveryError(f"cannot queue a write to {topic}: {exc}") from exc
        await done

    def close(self, timeout: float = 10.0) -> None:
        """Flush outstanding writes and stop the poll thread."""
        self._producer.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=2)
