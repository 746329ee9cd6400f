"""Counters per protocol: sent, acknowledged, rejected (negative answer), failed (gave up retrying)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from hub.simulate.message import Protocol


class Outcome(StrEnum):
    """How a connector answered one message."""

    ACKED = "acked"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(slots=True)
class ProtocolStats:
    """Counters of one protocol."""

    sent: int = 0
    acked: int = 0
    rejected: int = 0
    failed: int = 0
    retries: int = 0
    short: int = 0
    """Acknowledged but mapped to fewer events than intended (KPR times after the connector's clock)."""


@dataclass(slots=True)
class SimStats:
    """What a simulation run did."""

    per_protocol: dict[Protocol, ProtocolStats] = field(
        default_factory=lambda: {p: ProtocolStats() for p in Protocol}
    )
    skipped: int = 0
    """Synth events with no source message (manual avvik reports)."""

    def record(self, protocol: Protocol, outcome: Outcome, retries: int = 0, *, short: bool = False) -> None:
        """Count one sent message and its outcome."""
        counters = self.per_protocol[protocol]
        counters.sent += 1
        counters.retries += retries
        counters.short += short
        if outcome is Outcome.ACKED:
            counters.acked += 1
        elif outcome is Outcome.REJECTED:
            counters.rejected += 1
        else:
            counters.failed += 1

    @property
    def sent(self) -> int:
        """Messages sent over all protocols."""
        return sum(c.sent for c in self.per_protocol.values())

    def summary(self) -> str:
        """One line per protocol."""
        lines = [
            f"{p.value:<10} sent {c.sent:>6}  acked {c.acked:>6}  rejected {c.rejected:>4}  "
            f"failed {c.failed:>4}  retries {c.retries:>4}  fewer events {c.short:>4}"
            for p, c in self.per_protocol.items()
        ]
        lines.append(f"not sent (no source message): {self.skipped}")
        return "\n".join(lines)
