"""Dialogmelding: a kommune's coded answer on an utskrivningsklar patient maps to MUNICIPALITY_RESPONDED."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.formats import MappingContext
from connectors.plo.format import FORMAT
from hub.errors import UnsupportedMessage
from hub.events import EventType
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


def test_unclear_answer_is_unsupported(ctx: MappingContext) -> None:
    """An utskrivningsklar dialog that states no answer is not guessed at."""
    with pytest.raises(UnsupportedMessage, match="utskrivningsklar"):
        FORMAT.accept(_answer("Vi kommer tilbake til saken."), ctx)
