"""The AMK mission event as senders post it: a pydantic model, the one source of the JSON Schema.

``schemas/ambulance/mission-event.schema.json`` is generated from :class:`MissionEvent` (draft 2020-12); a
test keeps the two equal. Regenerate after a change with::

    .venv/bin/python -m connectors.ambulance.model > schemas/ambulance/mission-event.schema.json
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.identity.masking import find_person_numbers

SCHEMA_ID = "https://samhandling-hub.example/schemas/ambulance/mission-event.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Status = Literal["CALL_RECEIVED", "DISPATCHED", "ON_SCENE", "LEFT_SCENE", "ARRIVED", "CANCELLED"]
HastegradName = Literal["akutt", "haster", "vanlig", "rød", "gul", "grønn"]
AreaName = Literal["tettsted", "rural"]
DestinationKind = Literal["akuttmottak", "kad", "legevakt", "other"]

IDENT = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$"
"""Ids are printable ASCII without spaces: they become parts of keys and pseudonym inputs."""
_OFFSET = re.compile(r"(Z|[+-][0-9]{2}:?[0-9]{2})$", re.IGNORECASE)


class Destination(BaseModel):
    """Where the patient was delivered (ARRIVED only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: DestinationKind = Field(description="akuttmottak, kad, legevakt or other")
    unit_id: str | None = Field(
        default=None, pattern=IDENT, description="Receiving unit id from the hub's master data, when known"
    )


class MissionEvent(BaseModel):
    """One status change of one AMK mission. One JSON object per message."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="AMK mission event",
        json_schema_extra={
            "description": (
                "One status change of an ambulance mission, sent by an AMK central to the samhandling hub. "
                "Unknown fields are rejected, so names, addresses or phone numbers cannot slip through."
            )
        },
    )

    message_id: str = Field(pattern=IDENT, description="Unique per message; a resend carries the same id")
    mission_id: str = Field(pattern=IDENT, description="The AMK's mission (oppdrag) id, shared by its events")
    status: Status = Field(description="Mission status reached")
    occurred_at: datetime = Field(
        description="When the status was reached: ISO 8601 / RFC 3339 with a UTC offset, e.g. "
        "2024-03-01T14:05:00+01:00. Local time without an offset is rejected (ambiguous at DST changes)."
    )
    hastegrad: HastegradName = Field(description="akutt/haster/vanlig, or the colours rød/gul/grønn")
    area: AreaName = Field(description="tettsted (>= 10 000 inhabitants) or rural: picks the response target")
    amk_central: str = Field(pattern=IDENT, description="Id of the AMK central that owns the mission")
    kommunenummer: str = Field(pattern=r"^[0-9]{4}$", description="Kommunenummer of the scene (hentested)")
    patient_id: str | None = Field(
        default=None,
        pattern=r"^([0-9]{11}|PSN1\.[A-Za-z0-9_-]{1,32}\.[A-Z2-7]{32}\.[0-9]{1,4}\.[FMU])$",
        description="Fødselsnummer or D-nummer when known (11 digits); missions may start without one. "
        "The hub replaces it by a pseudonym token before anything is stored.",
    )
    destination: Destination | None = Field(default=None, description="Required on ARRIVED, absent otherwise")

    @field_validator("message_id", "mission_id")
    @classmethod
    def _no_person_number(cls, value: str) -> str:
        if find_person_numbers(value):
            raise ValueError("holds a person number; ids become Kafka keys and event ids")
        return value

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _needs_offset(cls, value: Any) -> Any:
        if isinstance(value, str):
            if "T" not in value.upper() or not _OFFSET.search(value.strip()):
                raise ValueError("occurred_at must be an ISO 8601 date-time with a UTC offset (or Z)")
            return value
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value
        raise ValueError("occurred_at must be an ISO 8601 date-time string with a UTC offset")

    @model_validator(mode="after")
    def _destination_on_arrival(self) -> MissionEvent:
        if self.status == "ARRIVED" and self.destination is None:
            raise ValueError("an ARRIVED event needs a destination")
        if self.status != "ARRIVED" and self.destination is not None:
            raise ValueError(f"destination is only allowed on ARRIVED, not on {self.status}")
        return self


def json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of :class:`MissionEvent`."""
    schema = MissionEvent.model_json_schema(mode="validation")
    schema["properties"]["occurred_at"]["pattern"] = (
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*(Z|z|[+-][0-9]{2}:?[0-9]{2})$"
    )
    schema["allOf"] = [
        {
            "if": {"properties": {"status": {"const": "ARRIVED"}}},
            "then": {"required": ["destination"], "properties": {"destination": {"type": "object"}}},
            "else": {"properties": {"destination": {"type": "null"}}},
        }
    ]
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema file's exact text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
