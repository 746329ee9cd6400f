"""Which model each topic carries, and the schema file it is committed as under ``schemas/``."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from hub.events import Event
from hub.events.outputs import AvvikRecord, BedMetricsRecord, PathwayStateRecord
from hub.events.transport import DeadLetterRecord, RawMessage

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "samhandling.events.avsc": Event,
    "samhandling.raw.avsc": RawMessage,
    "samhandling.dlq.avsc": DeadLetterRecord,
    "samhandling.avvik.avsc": AvvikRecord,
    "samhandling.pathway.state.avsc": PathwayStateRecord,
    "samhandling.beds.metrics.avsc": BedMetricsRecord,
}


def schemas_dir() -> Path:
    """The ``schemas/`` directory of the repository (or of the installed package)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "schemas", here / "_schemas"):
        if candidate.is_dir():
            return candidate
    return here.parent / "schemas"
