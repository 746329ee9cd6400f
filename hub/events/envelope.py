"""The canonical event: envelope plus a body chosen by ``event_type``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from hub.events.bodies import BODY_FOR_TYPE, Body, Rejection
from hub.events.enums import EventType, SourceKind
from hub.events.parts import Correction, Organisation, Part, Patient, Source

EVENT_ID_NAMESPACE = uuid.UUID("6f1d3c1e-6a53-4c59-9d5e-2b9a4f0c7e11")
# MESSAGE_REJECTED comes from an AppRec, which names only the rejected message id (no patient).
EVENTS_WITHOUT_PATIENT = frozenset(
    {EventType.BED_CAPACITY_SET, EventType.AVVIK_REPORTED, EventType.MESSAGE_REJECTED}
)


def make_event_id(kind: SourceKind, system: str, message_id: str, event_type: EventType, seq: int = 0) -> str:
    """Deterministic event id from the source and its message id (same input, same id, on every replay)."""
    name = f"{kind.value}|{system}|{message_id}|{event_type.value}|{seq}"
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))


class Event(Part):
    """A canonical event on ``samhandling.events`` (key: patient pseudonym)."""

    event_id: str = Field(min_length=1, max_length=100)
    event_type: EventType
    occurred_at: datetime = Field(description="Event time, UTC (sources send Europe/Oslo local time)")
    recorded_at: datetime = Field(description="When the hub (connector) recorded it, UTC")
    source: Source
    patient: Patient | None = None
    organisation: Organisation = Field(default_factory=Organisation)
    correction: Correction | None = None
    body: Body

    @model_validator(mode="before")
    @classmethod
    def _body_for_type(cls, data: Any) -> Any:
        """Validate ``body`` with the model its ``event_type`` names (no guessing between lookalikes)."""
        if isinstance(data, dict) and isinstance(data.get("body"), dict) and "event_type" in data:
            try:
                model = BODY_FOR_TYPE[EventType(data["event_type"])]
            except ValueError:
                return data  # the field validator reports the unknown event type
            data = {**data, "body": model.model_validate(data["body"])}
        return data

    @field_validator("occurred_at", "recorded_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone (sources send Europe/Oslo local time)")
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        expected = BODY_FOR_TYPE[self.event_type]
        if type(self.body) is not expected:
            raise ValueError(
                f"{self.event_type} needs a {expected.__name__} body, got {type(self.body).__name__}"
            )
        if self.patient is None and self.event_type not in EVENTS_WITHOUT_PATIENT:
            raise ValueError(f"{self.event_type} needs a patient")
        return self

    @property
    def key(self) -> str:
        """Partition key: the patient pseudonym; for a rejection without patient the rejected message id (the
        worker joins it to the patient); for capacity events the unit id."""
        if self.patient is not None:
            return self.patient.pseudonym
        if isinstance(self.body, Rejection):
            return self.body.rejected_message_id
        unit = getattr(self.body, "unit_id", None) or self.organisation.unit_id
        return str(unit or self.event_id)
