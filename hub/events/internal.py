"""Records on the worker's internal topics (ticks and bed changes). Single-object Avro, no registry needed."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from hub.events.enums import UnitKind
from hub.events.parts import Part, Patient


class Tick(Part):
    """Wall-clock time sent to every partition so quiet partitions still fire due deadlines."""

    now: datetime


class BedChange(Part):
    """A bed delta or a capacity change for one unit (key: unit id), from the pathway agent to the beds agent.

    ``delta`` is None for a pure capacity change. No patient identifier.
    """

    unit_id: str
    unit_kind: UnitKind | None = None
    hf: str | None = None
    kommunenummer: str | None = None
    at: datetime
    delta: int | None = None
    movement: str | None = Field(default=None, description="ADMISSION, DISCHARGE, TRANSFER_IN, TRANSFER_OUT")
    segment_id: str | None = None
    segment_start: datetime | None = None
    reversal: bool = False
    capacity: int | None = None
    capacity_from: date | None = None


class MessageLink(Part):
    """Which patient a source message concerned (for joining AppRec rejections, which name no patient)."""

    message_id: str
    patient: Patient


class RejectionJoin(Part):
    """One side of the rejection join (key: source message id): a link, or a rejection awaiting a patient."""

    link: MessageLink | None = None
    rejection: str | None = Field(default=None, description="The MESSAGE_REJECTED event as JSON")
