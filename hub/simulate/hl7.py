"""HL7 v2.5 ADT (ER7) for the hospital stay: A01 admit, A02 transfer, A03 discharge, A11 / A13 cancels.

Fields are the ones ``connectors/hl7v2`` reads: PID-3 person number with type code NNNOR, PID-11 XAD-9
kommunenummer, PV1-2 patient class, PV1-3 location (unit^^^hospital), PV1-4 admission type (E akutt,
R planlagt), PV1-6 prior location, PV1-14 admit source and PV1-36 discharge disposition (the hub's local
Norwegian codes), PV1-19 visit number, EVN-6 event time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.events import Admission, Discharge, Event, EventType, Hastegrad, Place, Transfer
from hub.simulate.persons import Person
from hub.simulate.timefmt import hl7_ts

TRIGGER: dict[EventType, str] = {
    EventType.ADMITTED: "A01",
    EventType.TRANSFERRED: "A02",
    EventType.DISCHARGED: "A03",
    EventType.ADMISSION_CANCELLED: "A11",
    EventType.DISCHARGE_CANCELLED: "A13",
}
PLACE_CODE: dict[Place, str] = {
    Place.HOME: "HJEM",
    Place.HOME_NURSING: "HJSPL",
    Place.SYKEHJEM: "SYKEHJEM",
    Place.KAD: "KAD",
    Place.SYKESTUE: "SYKESTUE",
    Place.HOSPITAL: "SYKEHUS",
    Place.LEGEVAKT: "LEGEVAKT",
    Place.FASTLEGE: "FASTLEGE",
    Place.AMBULANCE: "AMBULANSE",
    Place.DEAD: "DOD",
    Place.OTHER: "ANNET",
}
SENDING_APPLICATION = "DIPS"


def render_adt(
    event: Event,
    person: Person,
    control_id: str,
    *,
    sent_at: datetime | None = None,
    facility: str | None = None,
    visit: str | None = None,
    unit_code: Callable[[str | None], str | None] | None = None,
) -> bytes:
    """The ADT message of a hospital-stay event (``event.event_type`` must be in :data:`TRIGGER`).

    ``facility`` (MSH-4, PV1-3.4), ``visit`` (PV1-19) and ``unit_code`` (PV1-3.1 of a master-data unit id)
    are the EPJ's own codes; without them the canonical names are sent.
    """
    trigger = TRIGGER[event.event_type]
    body = event.body
    episode = visit or str(getattr(body, "episode_id", "") or "")
    org = event.organisation
    hospital = facility or (org.hospital if org else None) or "Sykehus"

    def code(unit_id: str | None) -> str:
        return ((unit_code(unit_id) if unit_code else None) or unit_id) or ""

    unit = code(org.unit_id if org else None)
    pv1 = [""] * 37
    pv1[0] = "PV1"
    pv1[1] = "1"
    pv1[2] = "I"
    pv1[3] = f"{unit}^^^{hospital}"
    pv1[19] = episode
    if isinstance(body, Admission):
        pv1[4] = "E" if body.hastegrad is Hastegrad.AKUTT else "R"
        pv1[14] = PLACE_CODE.get(body.from_place, "ANNET") if body.from_place else ""
    elif isinstance(body, Transfer):
        pv1[3] = f"{code(body.to_unit_id) or unit}^^^{hospital}"
        pv1[6] = f"{code(body.from_unit_id)}^^^{hospital}"
    elif isinstance(body, Discharge):
        pv1[36] = PLACE_CODE.get(body.destination, "ANNET")
    pid = [""] * 31
    pid[0] = "PID"
    pid[1] = "1"
    pid[3] = f"{person.number}^^^FNR^NNNOR"
    pid[5] = f"Pasient^Syntetisk{person.serial}^^^^^L"
    pid[7] = person.born.strftime("%Y%m%d")
    pid[8] = person.sex_code
    pid[11] = f"^^^^^NOR^H^^{person.kommune or ''}"
    if person.opphold:  # the oppholdsadresse as a second XAD, type C (current or temporary)
        pid[11] += f"~^^^^^NOR^C^^{person.opphold}"
    pid[30] = "Y" if isinstance(body, Discharge) and body.destination is Place.DEAD else "N"
    at = hl7_ts(event.occurred_at)
    msh_7 = hl7_ts(sent_at or event.occurred_at)
    segments = [
        f"MSH|^~\\&|{SENDING_APPLICATION}|{hospital}|HUB|SAMHANDLING|{msh_7}||ADT^{trigger}^ADT_A01|"
        f"{control_id}|P|2.5|||AL|NE||UNICODE UTF-8",
        f"EVN|{trigger}|{msh_7}||||{at}",
        "|".join(pid),
        "|".join(pv1),
    ]
    return ("\r".join(segments) + "\r").encode("utf-8")
