"""Innleggelsesrapport and Utskrivningsrapport: reports sent between kommune and hospital.

INNLEGGELSESRAPPORT (kommune -> hospital) -> INNLEGGELSESRAPPORT_SENT at GenDate;
UTSKRIVNINGSRAPPORT (hospital -> kommune) -> UTSKRIVNINGSRAPPORT_SENT at GenDate. The send time is what the
avvik rules measure (SA02, SA08). The services an Innleggelsesrapport describes are not turned into
MUNICIPAL_SERVICE_STARTED: they are stated as free text and IPLOS/KPR is the authoritative source.
"""

from __future__ import annotations

from connectors.plo import hendelser as h
from connectors.plo.build import Draft
from connectors.plo.msghead import Envelope
from hub.events import EventType, Report

TYPES = frozenset({"INNLEGGELSESRAPPORT", "UTSKRIVNINGSRAPPORT"})


def drafts(env: Envelope) -> list[Draft]:
    """The drafts of a report."""
    if env.msg_type == "INNLEGGELSESRAPPORT":
        hospital = env.receiver.her_id
        event_type = EventType.INNLEGGELSESRAPPORT_SENT
    else:
        hospital = env.sender.her_id
        event_type = EventType.UTSKRIVNINGSRAPPORT_SENT
    admission = h.hendelser(env.body).get(h.INNLAGT)
    body = Report(episode_id=h.episode_id(hospital, admission), document_id=env.msg_id)
    return [Draft(event_type, body, env.gen_date)]
