"""Medisinske opplysninger and Helseopplysninger til lege: documents sent between kommune and doctors.

MEDISINSKE_OPPLYSNINGER (Overføring av medisinske opplysninger, the doctor to the kommune) ->
MEDISINSKE_OPPLYSNINGER_SENT; HELSEOPPLYSNINGER_LEGE (Helseopplysninger til lege / Konsultasjon, the kommune
to the doctor) -> HELSEOPPLYSNINGER_LEGE_SENT. Event time is GenDate (when it was sent); the body names the
document (its MsgId) and no hospital stay: neither message belongs to one.
"""

from __future__ import annotations

from connectors.plo.build import Draft, Drafts
from connectors.plo.msghead import Envelope
from hub.events import EventType, Report

EVENT_FOR_TYPE = {
    "MEDISINSKE_OPPLYSNINGER": EventType.MEDISINSKE_OPPLYSNINGER_SENT,
    "HELSEOPPLYSNINGER_LEGE": EventType.HELSEOPPLYSNINGER_LEGE_SENT,
}
TYPES = frozenset(EVENT_FOR_TYPE)


def drafts(env: Envelope) -> Drafts:
    """The drafts of a document message."""
    body = Report(episode_id=None, document_id=env.msg_id)
    return [Draft(EVENT_FOR_TYPE[env.msg_type], body, env.gen_date)]
