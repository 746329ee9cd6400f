"""Helseopplysninger (HELSEOPPL_SOKNAD): the hospital's "varsel om innlagt pasient" to the kommune.

TypeInnhold (code list 9140) 1 = varsel om innlagt pasient -> MUNICIPALITY_NOTIFIED notice=ADMISSION at
GenDate (the moment the kommune was told). An Endring/Kansellering (M/C) with TypeInnhold 1 or 2 (oppdaterte
opplysninger) amends that notice. Other contents (applications for services) are not mapped.
"""

from __future__ import annotations

from connectors.plo import hendelser as h
from connectors.plo.build import Draft
from connectors.plo.msghead import Envelope
from connectors.plo.xmlsafe import attr, descendants
from hub.errors import UnsupportedMessage
from hub.events import EventType, Notice, NoticeKind

TYPES = frozenset({"HELSEOPPL_SOKNAD"})
VARSEL_INNLAGT = "1"
OPPDATERTE_OPPLYSNINGER = "2"


def _type_innhold(env: Envelope) -> str | None:
    for element in descendants(env.body, "TypeInnholdIMelding"):
        value = attr(element, "TypeInnhold")
        if value:
            return value
    return None


def drafts(env: Envelope, kommunenummer: str | None, status: str) -> list[Draft]:
    """The drafts of a Helseopplysninger message."""
    kind = _type_innhold(env)
    accepted = {VARSEL_INNLAGT} if status == "N" else {VARSEL_INNLAGT, OPPDATERTE_OPPLYSNINGER}
    if kind not in accepted:
        raise UnsupportedMessage(
            f"Helseopplysninger with TypeInnhold {kind!r} (code list 9140) is not mapped; "
            "only 1 (varsel om innlagt pasient) and its updates are",
            code="content",
        )
    episode = h.episode_id(env.sender.her_id, h.hendelser(env.body).get(h.INNLAGT))
    body = Notice(episode_id=episode, notice=NoticeKind.ADMISSION, kommunenummer=kommunenummer)
    return [Draft(EventType.MUNICIPALITY_NOTIFIED, body, env.gen_date)]
