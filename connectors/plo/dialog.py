"""Dialogmelding 1.0/1.1: conversations on the patient's pathway; the kommune's answer on utskrivningsklar.

===========================  ===================================================================
MsgHead Type                 canonical events (event time GenDate)
===========================  ===================================================================
DIALOG_FORESPORSEL           DIALOGUE_QUESTION_SENT (conversation = RefToConversation or MsgId,
                             topic_code = TypeForesp, code list 9152)
DIALOG_SVAR                  DIALOGUE_ANSWER_SENT (in_reply_to = RefToParent: the question)
any, topic utskrivningsklar  MUNICIPALITY_RESPONDED when the text states the answer (below)
other (avvik, helsefaglig    accepted, no event
dialog, status henvisning)
===========================  ===================================================================

The utskrivningsklar answer: a Notat whose topic (``Tema`` or ``TemaKodet/@DN``) mentions "utskrivningsklar"
and whose text says "kan ikke ta imot" / "kan ikke motta" -> can_receive=false; "kan ta imot" / "kan motta"
-> can_receive=true, with the first date in the text (dd.mm.yyyy or yyyy-mm-dd) as receive_date. Free text
is never guessed at: an utskrivningsklar dialogue without such words gives no MUNICIPALITY_RESPONDED.
"""

from __future__ import annotations

import re
from datetime import date

from connectors.plo import hendelser as h
from connectors.plo.build import Draft, Drafts, NotMapped
from connectors.plo.msghead import Envelope
from connectors.plo.xmlsafe import attr, child, descendants, text
from hub.events import Dialogue, EventType, Response

NAMESPACES = frozenset(
    {"http://www.kith.no/xmlstds/dialog/2006-10-11", "http://www.kith.no/xmlstds/dialog/2013-01-23"}
)
QUESTION, ANSWER = "DIALOG_FORESPORSEL", "DIALOG_SVAR"

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


def _response(env: Envelope, kommunenummer: str | None) -> Draft | None:
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
        return Draft(EventType.MUNICIPALITY_RESPONDED, body, env.gen_date)
    return None


def _conversation(env: Envelope) -> Draft | None:
    if env.msg_type not in {QUESTION, ANSWER}:
        return None
    question = env.msg_type == QUESTION
    topics = [attr(e, "TypeForesp") for e in descendants(env.body, "Foresporsel")]
    body = Dialogue(
        conversation_id=env.ref_to_conversation
        or (env.msg_id if question else env.ref_to_parent or env.msg_id),
        in_reply_to=None if question else env.ref_to_parent,
        topic_code=next((t for t in topics if t), None),
        receiver_her_id=env.receiver.her_id,
    )
    kind = EventType.DIALOGUE_QUESTION_SENT if question else EventType.DIALOGUE_ANSWER_SENT
    return Draft(kind, body, env.gen_date)


def drafts(env: Envelope, kommunenummer: str | None) -> Drafts:
    """The drafts of a Dialogmelding (see module docstring)."""
    found = [d for d in (_conversation(env), _response(env, kommunenummer)) if d is not None]
    if found:
        return found
    return NotMapped(
        f"Dialogmelding {env.msg_type} is neither a forespørsel nor a svar and states no answer on an "
        "utskrivningsklar patient"
    )
