"""Incoming AppRec (v1.0, v1.1): status 2 (Avvist) -> MESSAGE_REJECTED; 1 (OK) and 3 (OK, feil i delmelding)
are accepted without an event.

An AppRec names neither patient nor episode, only the rejected message (OriginalMsgId); MESSAGE_REJECTED is
therefore patient-less and the pathway joins it to the patient through ``rejected_message_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from connectors.plo.build import Draft
from connectors.plo.times import parse_stamp
from connectors.plo.xmlsafe import attr, child, children, text
from hub.errors import ValidationError
from hub.events import EventType, Rejection

STATUS_OK = "1"
STATUS_REJECTED = "2"
STATUS_PARTIAL = "3"


@dataclass(frozen=True, slots=True)
class AppRecFacts:
    """What the hub reads from an AppRec."""

    msg_id: str
    status: str
    sender_id: str | None
    sender_id_type: str | None
    sender_name: str | None
    drafts: list[Draft]
    sent_at: datetime | None = None
    receiver_id: str | None = None


def read(root: etree._Element) -> AppRecFacts:
    """Read a (validated) AppRec."""
    msg_id = text(root, "Id")
    gen = text(root, "GenDate")
    status = attr(root, "Status")
    if not msg_id or not gen or not status:
        raise ValidationError("AppRec needs Id, GenDate and Status", code="apprec")
    inst = child(root, "Sender", "HCP", "Inst")
    sent_at = parse_stamp(gen, where="GenDate").at
    original = child(root, "OriginalMsgId")
    drafts: list[Draft] = []
    if status == STATUS_REJECTED:
        errors = children(root, "Error")
        first = errors[0] if errors else None
        reason = "; ".join(
            filter(None, [attr(e, name="DN") or attr(e, name="OT") or attr(e, name="V") for e in errors])
        )
        body = Rejection(
            rejected_message_id=text(original, "Id") or "unknown",
            message_type=attr(original, "MsgType"),
            error_code=attr(first),
            reason=reason[:500] or None,
        )
        drafts.append(Draft(EventType.MESSAGE_REJECTED, body, sent_at))
    elif status not in {STATUS_OK, STATUS_PARTIAL}:
        raise ValidationError(f"AppRec status {status!r} is not 1, 2 or 3", code="apprec", location="Status")
    receiver = child(root, "Receiver", "HCP", "Inst")
    return AppRecFacts(
        msg_id,
        status,
        text(inst, "Id"),
        attr(inst, "TypeId"),
        text(inst, "Name"),
        drafts,
        sent_at,
        text(receiver, "Id") if attr(receiver, "TypeId") == "HER" else None,
    )
