"""Tests of the join of AppRec rejections (no patient) to the patient of the rejected message."""

from __future__ import annotations

from agents.engines import DictTable
from agents.rejections import RejectionJoiner, link_for
from hub.events import EventType
from hub.events.internal import RejectionJoin
from tests.factories import example_event


def _rejection(message_id: str) -> RejectionJoin:
    event = example_event(EventType.MESSAGE_REJECTED).model_copy(update={"patient": None})
    body = event.body.model_copy(update={"rejected_message_id": message_id})
    return RejectionJoin(rejection=event.model_copy(update={"body": body}).model_dump_json())


def test_rejection_after_its_message_gets_the_patient() -> None:
    """A rejection arriving after the link is re-emitted at once with the full patient of the message."""
    notice = example_event(EventType.MUNICIPALITY_NOTIFIED, pseudonym="N" * 32, message_id="MSG-1")
    joiner = RejectionJoiner(DictTable())
    link = link_for(notice)
    assert link is not None
    assert joiner.apply("MSG-1", RejectionJoin(link=link)) == []
    (joined,) = joiner.apply("MSG-1", _rejection("MSG-1"))
    assert joined.patient == notice.patient
    assert joined.key == "N" * 32
    assert joined.event_type is EventType.MESSAGE_REJECTED


def test_rejection_before_its_message_waits_for_the_link() -> None:
    """A rejection processed before the link is held, then released when the link arrives."""
    notice = example_event(EventType.EPIKRISE_SENT, pseudonym="E" * 32, message_id="MSG-2")
    joiner = RejectionJoiner(DictTable())
    assert joiner.apply("MSG-2", _rejection("MSG-2")) == []
    link = link_for(notice)
    assert link is not None
    (joined,) = joiner.apply("MSG-2", RejectionJoin(link=link))
    assert joined.patient is not None
    assert joined.patient.pseudonym == "E" * 32
    assert joiner.apply("MSG-2", RejectionJoin(link=link)) == []  # released once, not again


def test_rejection_without_patient_is_keyed_by_the_rejected_message() -> None:
    """The partition key of a patient-less rejection is the id of the message it rejects."""
    side = _rejection("MSG-3")
    from hub.events import Event

    assert side.rejection is not None
    assert Event.model_validate_json(side.rejection).key == "MSG-3"
