"""Audit records of operator commands, through the hub's audit stream (:mod:`hub.audit`).

Opening a dead letter or turning a person number into a pseudonym reads patient-level data: each is one
audit entry (who, what, which resource, outcome, request id), written before the answer is shown. The CLI
has no peer address; the HTTP API passes the caller's.
"""

from __future__ import annotations

import getpass
import uuid
from collections.abc import Callable
from typing import Protocol

from hub.audit import AuditLog, KafkaAuditSink
from hub.errors import DeliveryError
from hub.settings import HubSettings


class Auditor(Protocol):
    """What operator code needs of the audit log (``hub.audit.AuditLog`` is one)."""

    def record(
        self,
        *,
        actor: str | None,
        action: str,
        resource: str,
        outcome: str,
        peer: str | None,
        request_id: str,
    ) -> object:
        """Write one entry."""
        ...


def cli_actor() -> str:
    """Who runs a command: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli:unknown"


def request_id() -> str:
    """A fresh request id for one command or HTTP request."""
    return uuid.uuid4().hex


def cli_audit(settings: HubSettings) -> tuple[AuditLog, Callable[[], None]]:
    """The audit log of a command and a function that waits until its entries are on the audit topic."""
    sink = KafkaAuditSink(settings) if settings.audit.to_kafka else None
    log = AuditLog(sink, settings.audit.log_file)

    def flush() -> None:
        if sink is not None and sink.flush(10.0):
            raise DeliveryError("audit entries not confirmed by Kafka")

    return log, flush
