"""The audit stream: every read of patient-level data, refused or answered, as one record.

Who (the authenticated client, or ``anonymous``), what (action and resource, e.g. a pseudonym), when,
from where (peer address), the request id and the outcome. Each entry goes to the topic
``samhandling.audit`` (key: request id) and to its own JSON-lines log (``HUB_AUDIT__LOG_FILE``), never to
the general log, and never with the content that was read.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from hub.settings import HubSettings


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One patient-level read."""

    at: str
    actor: str
    action: str
    resource: str
    outcome: str
    peer: str | None
    request_id: str

    def to_json(self) -> bytes:
        """The entry as compact JSON (what the topic and the log hold)."""
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()


class AuditSink(Protocol):
    """Where entries go besides the log file (the audit topic in production, a list in tests)."""

    def write(self, key: bytes, value: bytes) -> None: ...


class KafkaAuditSink:
    """Writes entries to the audit topic with a confluent-kafka producer (acks=all, idempotent)."""

    def __init__(self, settings: HubSettings) -> None:
        from confluent_kafka import Producer

        self._topic = settings.topics.audit
        self._producer = Producer(
            {**settings.kafka.confluent_config(), "acks": "all", "enable.idempotence": True}
        )

    def write(self, key: bytes, value: bytes) -> None:
        """Queue the entry and serve delivery callbacks."""
        self._producer.produce(self._topic, key=key, value=value)
        self._producer.poll(0)

    def flush(self, timeout: float = 5.0) -> int:
        """Wait for queued entries; the number still queued."""
        return int(self._producer.flush(timeout))


class AuditLog:
    """Records audit entries to a sink and an append-only JSON-lines file."""

    def __init__(
        self,
        sink: AuditSink | None,
        log_file: Path | None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sink = sink
        self._log_file = log_file
        self._clock = clock
        self._lock = threading.Lock()
        if log_file is not None:
            log_file.parent.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, settings: HubSettings) -> AuditLog:
        """The audit log of ``settings`` (topic ``topics.audit`` and ``audit.log_file``)."""
        sink = KafkaAuditSink(settings) if settings.audit.to_kafka else None
        return cls(sink, settings.audit.log_file)

    def record(
        self,
        *,
        actor: str | None,
        action: str,
        resource: str,
        outcome: str,
        peer: str | None,
        request_id: str,
    ) -> AuditEntry:
        """Write one entry (to the sink and the log file) and return it."""
        entry = AuditEntry(
            at=self._clock().isoformat(),
            actor=actor or "anonymous",
            action=action,
            resource=resource,
            outcome=outcome,
            peer=peer,
            request_id=request_id,
        )
        data = entry.to_json()
        with self._lock:
            if self._log_file is not None:
                with self._log_file.open("ab") as handle:
                    handle.write(data + b"\n")
            if self._sink is not None:
                self._sink.write(request_id.encode(), data)
        return entry
