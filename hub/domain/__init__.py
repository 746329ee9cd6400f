"""The pure domain core: pathway state, event-time deadlines, samhandlingsavvik SA01-SA14, bed accounting.

No Kafka, faust or HTTP imports and no wall clock here: time is always an argument.
Start with :class:`hub.domain.engine.Engine`.
"""

from hub.domain.avvik import AvvikRecord, AvvikStatus, Severity
from hub.domain.beds import BedDelta, BedLedger, BedSegment, Movement
from hub.domain.config import EngineConfig, RuleBook, RuleConfig
from hub.domain.deadlines import Deadline, DeadlineScheduler
from hub.domain.effects import ApplyFailed, AvvikUpsert, CapacitySet, Effect, JudgementFailed, PathwayChanged
from hub.domain.engine import Engine
from hub.domain.pathway import PathwayState, PathwaySummary
from hub.domain.store import MemoryStore, PathwayStore

__all__ = [
    "ApplyFailed",
    "AvvikRecord",
    "AvvikStatus",
    "AvvikUpsert",
    "BedDelta",
    "BedLedger",
    "BedSegment",
    "CapacitySet",
    "Deadline",
    "DeadlineScheduler",
    "Effect",
    "Engine",
    "EngineConfig",
    "JudgementFailed",
    "MemoryStore",
    "Movement",
    "PathwayChanged",
    "PathwayState",
    "PathwayStore",
    "PathwaySummary",
    "RuleBook",
    "RuleConfig",
    "Severity",
]
