"""Orientering om tjenestetilbud (ORIENTERING_TJENESTETILBUD): the services the kommune gives the patient.

Each ``EksisterendeTjeneste`` that is municipal (``PrivatTjeneste`` false) and states its ``Startdato``
-> MUNICIPAL_SERVICE_STARTED at that date (00:00 Oslo; the sending time when it is the sending day); with a
``Sluttdato`` on or before the sending day also MUNICIPAL_SERVICE_ENDED at that date (a later end date is a
plan, not a fact yet). The service kind comes from the IPLOS tjenestetype (code list 9151), grouped as the
KPR connector groups it. A service without a start date, or a private one, says nothing the hub can time.

The message names no service id: ``plo:<sender HER-id>:<tjenestetype>:<Startdato>`` identifies one. Events of
one message are numbered in document order (``seq``), so an Endring/Kansellering of the same orientation
targets the original's events one by one.
"""

from __future__ import annotations

from connectors.kpr.records import SERVICES
from connectors.plo.build import Draft, Drafts, NotMapped
from connectors.plo.msghead import Envelope
from connectors.plo.times import OSLO, event_time, parse_stamp
from connectors.plo.xmlsafe import attr, descendants, text
from hub.events import EventType, MunicipalService, ServiceKind

TYPES = frozenset({"ORIENTERING_TJENESTETILBUD"})


def _kind(code: str | None) -> ServiceKind:
    if code is None or not code.isdigit():
        return ServiceKind.OTHER
    entry = SERVICES.get(int(code))
    return (entry[1] if entry else None) or ServiceKind.OTHER


def drafts(env: Envelope) -> Drafts:
    """The drafts of an Orientering om tjenestetilbud (see module docstring)."""
    sent = env.gen_date
    started: list[Draft] = []
    ended: list[Draft] = []
    for index, service in enumerate(descendants(env.body, "EksisterendeTjeneste")):
        where = f"EksisterendeTjeneste[{index + 1}]"
        start = text(service, "Startdato")
        if text(service, "PrivatTjeneste") == "true" or start is None:
            continue
        code = attr(service, "IPLOStjenestetype")
        begins = parse_stamp(start, where=f"{where}/Startdato")
        body = MunicipalService(
            service_id=f"plo:{env.sender.her_id or 'unknown'}:{code or 'x'}:{begins.local_date.isoformat()}",
            service=_kind(code),
        )
        if begins.at <= sent:
            started.append(
                Draft(EventType.MUNICIPAL_SERVICE_STARTED, body, event_time(begins, sent), len(started))
            )
        end = text(service, "Sluttdato")
        if end is not None:
            stops = parse_stamp(end, where=f"{where}/Sluttdato")
            if stops.local_date <= sent.astimezone(OSLO).date():
                ended.append(
                    Draft(EventType.MUNICIPAL_SERVICE_ENDED, body, event_time(stops, sent), len(ended))
                )
    if not started and not ended:
        return NotMapped("Orientering om tjenestetilbud states no municipal service with a start date")
    return started + ended
