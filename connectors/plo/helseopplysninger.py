"""Helseopplysninger (HELSEOPPL_SOKNAD): the hospital's "varsel om innlagt pasient" to the kommune.

The two PLO versions say it differently:

* **v1.6** (``.../HelseopplysningerVedSoknad/2012-04-01``) states what the message is in TypeInnholdIMelding
  (code list 9140): 1 = varsel om innlagt pasient -> MUNICIPALITY_NOTIFIED notice=ADMISSION at GenDate (the
  moment the kommune was told); an Endring/Kansellering (M/C) with TypeInnhold 1 or 2 (oppdaterte
  opplysninger) amends that notice. Other contents are accepted without an event.
* **v1.5** (``.../2009-06-30``) has no TypeInnholdIMelding: the message *is* the hospital's notice with the
  health information for the kommune's services (the v1.6 schema added the class "to tell the uses apart").
  A v1.5 Ny is therefore the varsel om innlagt pasient, and its Endring/Kansellering amend it — the same
  events a v1.6 message with TypeInnhold 1 (Ny) or 1/2 (M/C) gives.
"""

from __future__ import annotations

from connectors.plo import hendelser as h
from connectors.plo.build import Draft, Drafts, NotMapped
from connectors.plo.msghead import Envelope
from connectors.plo.xmlsafe import attr, descendants
from hub.events import EventType, Notice, NoticeKind

TYPES = frozenset({"HELSEOPPL_SOKNAD"})
VARSEL_INNLAGT = "1"
OPPDATERTE_OPPLYSNINGER = "2"
V15_NAMESPACE = "http://www.kith.no/xmlstds/po/HelseopplysningerVedSoknad/2009-06-30"


def _type_innhold(env: Envelope) -> str | None:
    for element in descendants(env.body, "TypeInnholdIMelding"):
        value = attr(element, "TypeInnhold")
        if value:
            return value
    return None


def is_admission_notice(env: Envelope, status: str) -> bool:
    """Whether the message is (or amends) the varsel om innlagt pasient (see module docstring)."""
    if env.body_namespace == V15_NAMESPACE:
        return True
    accepted = {VARSEL_INNLAGT} if status == "N" else {VARSEL_INNLAGT, OPPDATERTE_OPPLYSNINGER}
    return _type_innhold(env) in accepted


def drafts(env: Envelope, kommunenummer: str | None, status: str) -> Drafts:
    """The drafts of a Helseopplysninger message."""
    if not is_admission_notice(env, status):
        return NotMapped(
            f"Helseopplysninger with TypeInnhold {_type_innhold(env)!r} (code list 9140) carries no event "
            "the hub maps; only 1 (varsel om innlagt pasient) and its updates do"
        )
    episode = h.episode_id(env.sender.her_id, h.hendelser(env.body).get(h.INNLAGT))
    body = Notice(episode_id=episode, notice=NoticeKind.ADMISSION, kommunenummer=kommunenummer)
    return [Draft(EventType.MUNICIPALITY_NOTIFIED, body, env.gen_date)]
