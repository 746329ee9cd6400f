"""AMK mission status JSON (``schemas/ambulance/mission-event.schema.json``), one object per status change."""

from __future__ import annotations

import json

from hub.events import AmbulanceHastegrad, Area, Event, Mission, Place
from hub.simulate.persons import Person
from hub.simulate.timefmt import iso_offset

HASTEGRAD: dict[AmbulanceHastegrad, str] = {
    AmbulanceHastegrad.AKUTT: "akutt",
    AmbulanceHastegrad.HASTER: "haster",
    AmbulanceHastegrad.VANLIG: "vanlig",
}
DESTINATION: dict[Place, str] = {Place.HOSPITAL: "akuttmottak", Place.KAD: "kad", Place.LEGEVAKT: "legevakt"}


def render_mission(event: Event, person: Person | None, message_id: str, *, amk_central: str) -> bytes:
    """The mission-event JSON of an ambulance event (``event.body`` is a :class:`Mission`)."""
    body = event.body
    if not isinstance(body, Mission):
        raise TypeError(f"not an ambulance event: {event.event_type}")
    data: dict[str, object] = {
        "message_id": message_id,
        "mission_id": body.mission_id,
        "status": event.event_type.value,
        "occurred_at": iso_offset(event.occurred_at),
        "hastegrad": HASTEGRAD[body.hastegrad or AmbulanceHastegrad.AKUTT],
        "area": "rural" if body.area is Area.RURAL else "tettsted",
        "amk_central": amk_central,
        "kommunenummer": (person.kommune if person else None) or "5001",
    }
    if person is not None:
        data["patient_id"] = person.number
    if body.destination is not None:
        data["destination"] = {"kind": DESTINATION.get(body.destination, "other")}
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
