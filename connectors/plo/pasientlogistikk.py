"""Pasientlogistikk (LOG_*): admission, utskrivningsklar, avmelding, discharge and death notices.

=====================  ==========================================================================
MsgHead Type           canonical events (event time)
=====================  ==========================================================================
LOG_INNLAGT            ADMITTED (Hendelsekode 1 time) + MUNICIPALITY_NOTIFIED notice=ADMISSION (GenDate)
LOG_UTSKRIVNINGSKLAR   DECLARED_READY (Hendelsekode 3) + MUNICIPALITY_NOTIFIED notice=READY (GenDate)
LOG_AVMELDING          READY_WITHDRAWN (Hendelsekode 4)
LOG_UTSKREVET          DISCHARGED (Hendelsekode 2; destination from Uttilstand/UtTil)
LOG_DOD                DIED (Hendelsekode 13)
=====================  ==========================================================================

"Melding om innlagt pasient" is the hospital's notice to the kommune; it is also, for kommuner without an
EPJ feed, the only record of the admission, so it yields both ADMITTED and the notice. Where the hospital's
HL7/FHIR feed also reports the stay, the pathway sees two ADMITTED for the same day (different sources).
"""

from __future__ import annotations

from connectors.plo import hendelser as h
from connectors.plo.build import Draft
from connectors.plo.msghead import Envelope
from connectors.plo.times import event_time
from connectors.plo.xmlsafe import attr, descendants
from hub.errors import UnsupportedMessage
from hub.events import (
    Admission,
    Death,
    Discharge,
    EpisodeRef,
    EventType,
    NoticeKind,
    Place,
)
from hub.events import (
    Notice as NoticeBody,
)

TYPES = frozenset({"LOG_INNLAGT", "LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING", "LOG_UTSKREVET", "LOG_DOD"})

UTTILSTAND_DOD = "2"
"""Code list 8431 (Uttilstand): 1 som levende, 2 død."""
UT_TIL_PLACE = {"1": Place.HOME}
"""Code list 8408 (UtTil): only 1 (bosted/arbeidssted) is mapped; other codes give OTHER."""


def _destination(env: Envelope) -> Place:
    for element in descendants(env.body, "UtskrevetTil"):
        if attr(element, "Uttilstand") == UTTILSTAND_DOD:
            return Place.DEAD
        code = attr(element, "UtTil")
        if code:
            return UT_TIL_PLACE.get(code, Place.OTHER)
    return Place.UNKNOWN


def drafts(env: Envelope, kommunenummer: str | None) -> list[Draft]:
    """The drafts of a Pasientlogistikk message."""
    times = h.hendelser(env.body)
    sent = env.gen_date
    episode = h.episode_id(env.sender.her_id, times.get(h.INNLAGT))

    if env.msg_type == "LOG_INNLAGT":
        return [
            Draft(EventType.ADMITTED, Admission(episode_id=episode), event_time(times.get(h.INNLAGT), sent)),
            Draft(
                EventType.MUNICIPALITY_NOTIFIED,
                NoticeBody(episode_id=episode, notice=NoticeKind.ADMISSION, kommunenummer=kommunenummer),
                sent,
            ),
        ]
    if env.msg_type == "LOG_UTSKRIVNINGSKLAR":
        return [
            Draft(
                EventType.DECLARED_READY,
                EpisodeRef(episode_id=episode),
                event_time(times.get(h.UTSKRIVNINGSKLAR), sent),
            ),
            Draft(
                EventType.MUNICIPALITY_NOTIFIED,
                NoticeBody(episode_id=episode, notice=NoticeKind.READY, kommunenummer=kommunenummer),
                sent,
            ),
        ]
    if env.msg_type == "LOG_AVMELDING":
        when = event_time(times.get(h.AVMELDING), sent)
        return [Draft(EventType.READY_WITHDRAWN, EpisodeRef(episode_id=episode), when)]
    if env.msg_type == "LOG_UTSKREVET":
        body = Discharge(episode_id=episode, destination=_destination(env))
        return [Draft(EventType.DISCHARGED, body, event_time(times.get(h.UTSKREVET), sent))]
    if env.msg_type == "LOG_DOD":
        return [Draft(EventType.DIED, Death(), event_time(times.get(h.DOD), sent))]
    raise UnsupportedMessage(f"Pasientlogistikk message type {env.msg_type!r} is not mapped", code="msgtype")
