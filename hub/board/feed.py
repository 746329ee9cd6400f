"""Feed the board: a confluent-kafka consumer thread reading the four topics from the beginning.

Each board gets a unique consumer group and commits nothing, so every start rebuilds its view from the
topics (compacted avvik and pathway state keep that cheap). Nothing here may crash the board: decoding
failures and broker errors are logged and the loop carries on.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException
from pydantic import BaseModel

from hub.board.view import BoardState
from hub.errors import HubError
from hub.events import Event
from hub.events.outputs import AvvikRecord, BedMetricsRecord, PathwayStateRecord
from hub.serde import codec_for
from hub.settings import HubSettings

log = structlog.get_logger("hub.board.feed")

M = TypeVar("M", bound=BaseModel)

BATCH = 500
POLL_TIMEOUT_S = 0.5
RETRY_DELAY_S = 2.0


def close_codec(codec: object) -> None:
    """Close the schema-registry HTTP session behind a codec, if it has one.

    ``hub.serde`` codecs offer no ``close()`` yet; until they do, reach the registry client the codec holds,
    so stopping a board (or a test) leaks no sockets.
    """
    close = getattr(codec, "close", None)
    if callable(close):
        close()
        return
    wire = getattr(codec, "_wire", None)
    registry = getattr(getattr(wire, "_ser", None), "_registry", None)
    registry_close = getattr(registry, "close", None)
    if callable(registry_close):
        registry_close()


class MessageLike(Protocol):
    """The part of a confluent-kafka ``Message`` the feed uses."""

    def error(self) -> KafkaError | None: ...
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...


class ConsumerLike(Protocol):
    """The part of a confluent-kafka ``Consumer`` the feed uses."""

    def subscribe(self, topics: list[str]) -> None: ...
    def consume(self, num_messages: int, timeout: float) -> list[Any]: ...
    def close(self) -> None: ...


class BoardFeed:
    """Applies decoded records to a :class:`BoardState`; thread-safe snapshots for the web server."""

    def __init__(
        self,
        settings: HubSettings,
        state: BoardState,
        *,
        consumer_factory: Callable[[dict[str, str]], ConsumerLike] | None = None,
    ) -> None:
        self.state = state
        self.group_id = f"hub-board-{uuid.uuid4().hex[:12]}"
        self._settings = settings
        self._factory = consumer_factory or Consumer
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cache: tuple[tuple[int, int], dict[str, Any]] | None = None
        self._codecs: list[object] = []
        t = settings.topics
        self._handlers: dict[str, Callable[[bytes | None, bytes | None], None]] = {
            t.avvik: self._decoder(AvvikRecord, t.avvik, state.apply_avvik, state.remove_avvik),
            t.beds_metrics: self._decoder(BedMetricsRecord, t.beds_metrics, state.apply_beds, None),
            t.pathway_state: self._decoder(
                PathwayStateRecord, t.pathway_state, state.apply_pathway, state.remove_pathway
            ),
            t.events: self._decoder(Event, t.events, state.apply_event, None),
        }
        self.consumed = 0
        self.failed = 0
        self.polling = False

    def _decoder(
        self,
        model: type[M],
        topic: str,
        apply: Callable[[M], None],
        remove: Callable[[str], None] | None,
    ) -> Callable[[bytes | None, bytes | None], None]:
        codec = codec_for(self._settings, model, topic)
        self._codecs.append(codec)

        def handle(key: bytes | None, value: bytes | None) -> None:
            if value is None:
                if remove is not None and key is not None:
                    remove(key.decode("utf-8", errors="replace"))
                return
            apply(codec.decode(value))

        return handle

    @property
    def topics(self) -> list[str]:
        """The topics this feed reads."""
        return list(self._handlers)

    def handle(self, message: MessageLike) -> None:
        """Decode one message and apply it; log (never raise) when it cannot be used."""
        topic = message.topic() or ""
        handler = self._handlers.get(topic)
        if handler is None:
            return
        try:
            with self._lock:
                handler(message.key(), message.value())
            self.consumed += 1
        except (HubError, ValueError) as exc:
            self.failed += 1
            log.warning(
                "board skipped a record",
                topic=topic,
                partition=message.partition(),
                offset=message.offset(),
                error=str(exc),
            )
        except Exception:  # a record we cannot use must never stop the board
            self.failed += 1
            log.exception(
                "board skipped a record", topic=topic, partition=message.partition(), offset=message.offset()
            )

    def snapshot(self, now: datetime) -> dict[str, Any]:
        """The board's view model as of ``now`` (cached per state version and second)."""
        with self._lock:
            key = (self.state.version, int(now.timestamp()))
            if self._cache is None or self._cache[0] != key:
                self._cache = (key, self.state.snapshot(now))
            return self._cache[1]

    @property
    def version(self) -> int:
        """State version: changes whenever a record was applied."""
        return self.state.version

    def status(self) -> dict[str, Any]:
        """Health facts for ``/healthz``."""
        alive = self._thread is not None and self._thread.is_alive()
        return {
            "feed_running": alive,
            "polling": self.polling,
            "consumed": self.consumed,
            "failed": self.failed,
            "topics": self.topics,
        }

    # -- the consumer thread ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the consumer thread (a daemon, so it never keeps the process alive)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="hub-board-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the consumer thread to stop and wait for it to close the consumer."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for codec in self._codecs:
            close_codec(codec)

    def _config(self) -> dict[str, str]:
        return {
            **self._settings.kafka.confluent_config(),
            "client.id": f"{self._settings.kafka.client_id}-board",
            "group.id": self.group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
            "topic.metadata.refresh.interval.ms": "5000",
        }

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                consumer = self._factory(self._config())
                consumer.subscribe(self.topics)
            except (KafkaException, HubError, ValueError) as exc:
                log.warning("board cannot create its Kafka consumer; retrying", error=str(exc))
                self._stop.wait(RETRY_DELAY_S)
                continue
            log.info("board feed started", group_id=self.group_id, topics=self.topics)
            try:
                self._poll(consumer)
            finally:
                consumer.close()
            return

    def _poll(self, consumer: ConsumerLike) -> None:
        reported: set[tuple[str | None, int]] = set()
        while not self._stop.is_set():
            try:
                messages = consumer.consume(BATCH, POLL_TIMEOUT_S)
            except KafkaException as exc:
                log.warning("board feed: Kafka error; retrying", error=str(exc))
                time.sleep(RETRY_DELAY_S)
                continue
            except Exception:  # a broken feed must not kill the board; say so loudly and go on
                log.exception("board feed: unexpected error while consuming")
                time.sleep(RETRY_DELAY_S)
                continue
            self.polling = True
            for message in messages:
                error = message.error()
                if error is None:
                    self.handle(message)
                elif (message.topic(), error.code()) not in reported:
                    reported.add((message.topic(), error.code()))
                    log.warning("board feed: consumer error", topic=message.topic(), error=str(error))
