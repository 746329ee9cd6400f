"""Dialogmelding 1.0/1.1: the kommune's answer on an utskrivningsklar patient, when it says so.

A Dialogmelding is free-text dialogue. The hub maps one only when its topic is utskrivningsklar (``Tema`` or
``TemaKodet/@DN`` mentions "utskrivningsklar") and its text states the answer: "kan ikke ta imot" /
"kan ikke motta" -> MUNICIPALITY_RESPONDED can_receive=false; "kan ta imot" / "kan motta" ->
can_receive=true, with the first date in the text (dd.mm.yyyy or yyyy-mm-dd) as receive_date. Event time
is GenDate. Every other Dialogmelding is an :class:`UnsupportedMessage` with the reason.
"""

from __future__ import annotations

import re
from datetime import date

from connectors.plo import hendelser as h
from connectors.plo.build import Draft
from connectors.plo.msghead import Envelope
from connectors.plo.xmlsafe import attr, child, descendants, text
from hub.errors import UnsupportedMessage
from hub.events import EventType, Response

NAMESPACES = frozenset(
    {"http://www.kith.no/xmlstds/dialog/2006-10-11", "http://www.kith.no/xmlstds/dialog/2013-01-23"}
)

_CANNOT = re.compile(r"\bkan\s+ikke\s+(ta\s+imot|motta)\b", re.IGNORECASE)
_CAN = re.compile(r"\bkan\s+(ta\s+imot|motta)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(?:(\d{1,2})\.(\d{1,2})\.(\d{4})|(\d{4})-(\d{2})-(\d{2}))\b")


def _first_date(value: str) -> date | None:
    for match in _DATE.finditer(value):
        try:
            if match.group(1):
                return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            return date(int(match.group(4)), int(match.group(5)), int(match.group(6)))
        except ValueError:
            continue
    return None


def drafts(env: Envelope, kommunenummer: str | None) -> list[Draft]:
    """The drafts of a Dialogmelding (see module docstring)."""
    for notat in descendants(env.body, "Notat"):
        topic = " ".join(filter(None, [text(notat, "Tema"), attr(child(notat, "TemaKodet"), name="DN")]))
        if "utskrivningsklar" not in topic.lower():
            continue
        content = text(notat, "TekstNotatInnhold") or ""
        if _CANNOT.search(content):
            can_receive, when = False, None
        elif _CAN.search(content):
            can_receive, when = True, _first_date(content)
        else:
            continue
        body = Response(
            episode_id=h.episode_id(env.receiver.her_id, None),
            can_receive=can_receive,
            receive_date=when,
            kommunenummer=kommunenummer,
        )
        return [Draft(EventType.MUNICIPALITY_RESPONDED, body, env.gen_date)]
    raise UnsupportedMessage(
        f"Dialogmelding {env.msg_type} does not state a kommune's answer on an utskrivningsklar patient "
        "(topic 'utskrivningsklar' with 'kan ta imot' / 'kan ikke ta imot'); nothing to map",
        code="content",
    )
