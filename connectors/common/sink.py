"""Where connectors write records: :class:`KafkaSink` (real broker, acks=all, idempotent) or
:class:`MemorySink`.

``send`` returns only after the broker acknowledged the write, so a protocol server can answer its sender
positively only for data that is durably in Kafka. A record larger than the producer or the topic accepts
raises :class:`RecordTooLarge` (permanent), any other failure :class:`DeliveryError` (try again later).
Both take Kafka record ``headers`` (:class:`HeaderSink`); the ingest puts the W3C ``traceparent`` there.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from hub.errors import DeliveryError, RecordTooLarge
from hub.events.transport import MAX_RECORD_BYTES, RECORD_FRAMING_BYTES
from hub.ops.traceparent import KafkaHeaders
from hub.settings import HubSettings

PRODUCER_MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + RECORD_FRAMING_BYTES
"""The producer's ``message.max.bytes``: the hub's record limit plus framing (see ``MAX_RECORD_BYTES``)."""
_TOO_LARGE = frozenset({KafkaError.MSG_SIZE_TOO_LARGE})
"""Error codes meaning "this record is too large" (librdkafka's local check and the broker's answer)."""


class RecordSink(Protocol):
    """A durable destination for key/value records."""

    async def send(self, topic: str, key: bytes, value: bytes) -> None:
        """Write one record; return after it is acknowledged, raise :class:`DeliveryError` if it is not."""
        ...


class HeaderSink(Protocol):
    """A :class:`RecordSink` that also writes Kafka record headers (both sinks here are; a sink that is not
    still works, its records go without headers)."""

    async def send(self, topic: str, key: bytes, value: bytes, headers: KafkaHeaders | None = None) -> None:
        """Write one record with ``headers``; as :meth:`RecordSink.send`."""
        ...


@dataclass
class MemorySink:
    """In-memory sink for tests; ``fail_with`` makes every send fail like an unreachable broker, and
    ``max_record_bytes`` refuses larger records like a topic with that ``max.message.bytes``.
    ``record_headers[i]`` holds the headers of ``records[i]`` (empty when it was written without)."""

    records: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    fail_with: str | None = None
    max_record_bytes: int | None = None
    record_headers: list[KafkaHeaders] = field(default_factory=list)

    async def send(self, topic: str, key: bytes, value: bytes, headers: KafkaHeaders | None = None) -> None:
        """Record the write (or fail as configured)."""
        if self.fail_with is not None:
            raise DeliveryError(self.fail_with)
        if self.max_record_bytes is not None and len(key) + len(value) > self.max_record_bytes:
            raise RecordTooLarge(f"record of {len(key) + len(value)} bytes is too large for {topic}")
        self.records.append((topic, key, value))
        self.record_headers.append(list(headers or []))

    def on(self, topic: str) -> list[tuple[bytes, bytes]]:
        """Key/value pairs written to ``topic``."""
        return [(k, v) for t, k, v in self.records if t == topic]

    def headers_on(self, topic: str) -> list[KafkaHeaders]:
        """The headers of each record written to ``topic``, in the order of :meth:`on`."""
        return [h for (t, _k, _v), h in zip(self.records, self.record_headers, strict=True) if t == topic]


class KafkaSink:
    """confluent-kafka producer bridged to asyncio: one background thread serves delivery callbacks."""

    def __init__(self, config: dict[str, Any], *, delivery_timeout_ms: int = 30_000) -> None:
        conf = {
            **config,
            "acks": "all",
            "enable.idempotence": True,
            # No linger: a sender waits for its answer, so one connection is bound by one broker round trip
            # (2 ms of linger halved its rate, bench/mllp_ingest). Many connections still share produce
            # requests: librdkafka batches what queues while a request is in flight.
            "linger.ms": 0,
            "delivery.timeout.ms": delivery_timeout_ms,
            "message.max.bytes": PRODUCER_MAX_MESSAGE_BYTES,
        }
        self.max_message_bytes = int(conf["message.max.bytes"])
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

    async def send(self, topic: str, key: bytes, value: bytes, headers: KafkaHeaders | None = None) -> None:
        """Produce (with ``headers``, when given) and wait for the broker's acknowledgement."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def on_delivery(err: KafkaError | None, _msg: Message) -> None:
            def settle() -> None:
                if done.done():
                    return
                if err is not None and err.code() in _TOO_LARGE:
                    done.set_exception(RecordTooLarge(f"Kafka refused the record for {topic}: {err.str()}"))
                elif err is not None:
                    done.set_exception(
                        DeliveryError(f"Kafka did not confirm the write to {topic}: {err.str()}")
                    )
                else:
                    done.set_result(None)

            loop.call_soon_threadsafe(settle)

        try:
            self._producer.produce(topic, value=value, key=key, headers=headers, on_delivery=on_delivery)
        except KafkaException as exc:
            kafka_error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            if kafka_error is not None and kafka_error.code() in _TOO_LARGE:
                raise RecordTooLarge(f"record too large for {topic}: {kafka_error.str()}") from exc
            raise DeliveryError(f"cannot queue a write to {topic}: {exc}") from exc
        except BufferError as exc:
            raise DeliveryError(f"cannot queue a write to {topic}: {exc}") from exc
        await done

    def close(self, timeout: float = 10.0) -> None:
        """Flush outstanding writes and stop the poll thread."""
        self._producer.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=2)
