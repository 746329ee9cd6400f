"""One outgoing source message: when to send it, over which protocol, and what it should become."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hub.events import EventType


class Protocol(StrEnum):
    """The transports the simulator speaks."""

    HL7 = "hl7"
    PLO = "plo"
    AMBULANCE = "ambulance"
    KPR = "kpr"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A rendered message, due at simulated time ``at``."""

    at: datetime
    protocol: Protocol
    kind: str
    """Message kind for logs and tests, e.g. ``ADT^A01``, ``LOG_UTSKRIVNINGSKLAR``, ``kpr-csv``."""
    message_id: str
    payload: bytes
    expected: tuple[EventType, ...]
    """Canonical event types the connector should map this message to (given its send time)."""
