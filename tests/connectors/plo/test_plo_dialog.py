"""Dialogmelding: forespørsel and svar as a conversation; the answer on utskrivningsklar as a response."""

from __future__ import annotations

from datetime import date, timedelta

from connectors.formats import MappingContext
from connectors.plo.format import FORMAT
from hub.events import Dialogue, EventType
from tests.connectors.plo.conftest import sample

BASE = "Helsefaglig dialog_angi profesjon hos mottaker.xml"


def _answer(text: str) -> bytes:
    return (
        sample(BASE)
        .replace(
            "<Tema>Ønsker råd om fysikalsk behandling</Tema>".encode(),
            b"<Tema>Utskrivningsklar pasient</Tema>",
        )
        .replace(
            b"Pasienten er under opptrening etter hofteoperasjon. Trenger innspill fra fysioterapeut.",
            text.encode(),
        )
    )


def test_can_receive_with_date(ctx: MappingContext) -> None:
    """'Kan ta imot' with a date gives can_receive=true and that receive date."""
    events = FORMAT.accept(_answer("Kommunen kan ta imot pasienten 12.03.2019."), ctx).events
    assert [e.event_type for e in events] == [EventType.MUNICIPALITY_RESPONDED]
    assert events[0].body.can_receive is True  # type: ignore[union-attr]
    assert events[0].body.receive_date == date(2019, 3, 12)  # type: ignore[union-attr]


def test_cannot_receive(ctx: MappingContext) -> None:
    """'Kan ikke ta imot' gives can_receive=false without a date."""
    events = FORMAT.accept(_answer("Vi kan ikke ta imot pasienten i dag."), ctx).events
    assert events[0].body.can_receive is False  # type: ignore[union-attr]
    assert events[0].body.receive_date is None  # type: ignore[union-attr]


def test_unclear_answer_is_accepted_without_event(ctx: MappingContext) -> None:
    """An utskrivningsklar dialog that states no answer is accepted and not guessed at: no event, a reason."""
    accepted = FORMAT.accept(_answer("Vi kommer tilbake til saken."), ctx)
    assert accepted.events == []
    assert accepted.unmapped is not None
    assert "utskrivningsklar" in accepted.unmapped


def test_question_and_answer_form_one_conversation(ctx: MappingContext) -> None:
    """A forespørsel opens a conversation; its svar names the question, so the time to answer follows."""
    (question,) = FORMAT.accept(sample("Dialogmelding_foresporsel_PLO_v1-0.xml"), ctx).events
    (answer,) = FORMAT.accept(sample("Dialogmelding_svar_foresporsel_PLO_v1-0.xml"), ctx).events
    assert question.event_type is EventType.DIALOGUE_QUESTION_SENT
    assert answer.event_type is EventType.DIALOGUE_ANSWER_SENT
    assert isinstance(question.body, Dialogue)
    assert isinstance(answer.body, Dialogue)
    assert question.body.conversation_id == question.source.message_id
    assert answer.body.conversation_id == question.body.conversation_id
    assert answer.body.in_reply_to == question.source.message_id
    assert question.body.topic_code == "99"
    assert question.body.receiver_her_id == "91096"
    assert answer.body.receiver_her_id == "99387"
    assert answer.occurred_at - question.occurred_at == timedelta(hours=5, minutes=7, seconds=4)
    assert question.patient == answer.patient


def test_answer_that_states_utskrivningsklar_gives_both_events(ctx: MappingContext) -> None:
    """A svar answering on an utskrivningsklar patient is both the conversation's answer and the response."""
    payload = (
        sample("Dialogmelding_svar_foresporsel_PLO_v1-0.xml")
        .replace('DN="Svar på forespørsel"'.encode(), b'DN="Utskrivningsklar pasient"')
        .replace(b"eresept p", b"Kommunen kan ta imot pasienten 12.03.2019. eresept p", 1)
    )
    types = [e.event_type for e in FORMAT.accept(payload, ctx).events]
    assert types == [EventType.DIALOGUE_ANSWER_SENT, EventType.MUNICIPALITY_RESPONDED]
