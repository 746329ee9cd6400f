"""Example AMK mission events (synthetic person numbers only)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from hub.identity.synthetic import synthetic_number

PATIENT = synthetic_number(date(1938, 5, 17), 12, female=True)
"""A synthetic fødselsnummer (month + 80): never a real person's."""


def mission(status: str = "CALL_RECEIVED", **overrides: Any) -> dict[str, Any]:
    """A valid mission event as a dict; ``overrides`` replace or (with value None) remove fields."""
    data: dict[str, Any] = {
        "message_id": f"AMK1-M42-{status}",
        "mission_id": "M42",
        "status": status,
        "occurred_at": "2024-03-01T14:05:00+01:00",
        "hastegrad": "akutt",
        "area": "tettsted",
        "amk_central": "AMK-TRD",
        "kommunenummer": "5001",
        "patient_id": PATIENT,
    }
    if status == "ARRIVED":
        data["destination"] = {"kind": "akuttmottak", "unit_id": "STO-AKM"}
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def payload(status: str = "CALL_RECEIVED", **overrides: Any) -> bytes:
    """A valid mission event as JSON bytes."""
    return json.dumps(mission(status, **overrides), ensure_ascii=False).encode()
