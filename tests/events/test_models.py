"""Tests of the canonical event models."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from hub.events import Event, EventType, SourceKind, make_event_id
from tests.factories import all_examples, example_event


def test_every_event_type_has_a_valid_example() -> None:
    """Each event type validates with the body its type names."""
    events = all_examples()
    assert [e.event_type for e in events] == list(EventType)


@pytest.mark.parametrize("event", all_examples(), ids=lambda e: e.event_type.value)
def test_json_round_trip(event: Event) -> None:
    """The JSON form of every event type parses back to an equal event."""
    assert Event.model_validate_json(event.model_dump_json()) == event


def test_body_must_match_event_type() -> None:
    """A DISCHARGED event with an admission body is rejected, not coerced."""
    data = example_event(EventType.DISCHARGED).model_dump(mode="json")
    data["body"] = {"episode_id": "E1", "hastegrad": "AKUTT"}
    with pytest.raises(ValidationError, match="hastegrad"):
        Event.model_validate(data)


def test_naive_timestamps_are_rejected() -> None:
    """Timestamps without a time zone are refused (sources send Oslo local time, which must be stated)."""
    data = example_event(EventType.ADMITTED).model_dump(mode="json")
    data["occurred_at"] = "2024-03-04T10:00:00"
    with pytest.raises(ValidationError, match="time zone"):
        Event.model_validate(data)


def test_offsets_are_normalised_to_utc() -> None:
    """An Oslo-local timestamp with offset is stored as the same instant in UTC."""
    data = example_event(EventType.ADMITTED).model_dump(mode="json")
    data["occurred_at"] = "2024-07-01T10:00:00+02:00"
    event = Event.model_validate(data)
    assert event.occurred_at == datetime.fromisoformat("2024-07-01T08:00:00+00:00")
    assert event.occurred_at.utcoffset() is not None
    assert event.occurred_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_patient_required_except_capacity() -> None:
    """Patient-level events need a patient; capacity events do not."""
    data = example_event(EventType.ADMITTED).model_dump(mode="json")
    data["patient"] = None
    with pytest.raises(ValidationError, match="needs a patient"):
        Event.model_validate(data)
    assert example_event(EventType.BED_CAPACITY_SET).patient is None


def test_event_ids_are_deterministic_and_distinct() -> None:
    """The same source message gives the same id; another type or message gives another id."""
    a = make_event_id(SourceKind.HL7V2, "DIPS", "M1", EventType.ADMITTED)
    assert a == make_event_id(SourceKind.HL7V2, "DIPS", "M1", EventType.ADMITTED)
    assert a != make_event_id(SourceKind.HL7V2, "DIPS", "M2", EventType.ADMITTED)
    assert a != make_event_id(SourceKind.HL7V2, "DIPS", "M1", EventType.DISCHARGED)
    assert a != make_event_id(SourceKind.HL7V2, "DIPS", "M1", EventType.ADMITTED, seq=1)


def test_key_is_pseudonym_or_unit() -> None:
    """Patient events are keyed by pseudonym, capacity events by unit id."""
    assert example_event(EventType.ADMITTED, pseudonym="P" * 32).key == "P" * 32
    assert example_event(EventType.BED_CAPACITY_SET).key == "LEV-KAD"


def test_models_are_immutable() -> None:
    """Events are frozen value objects."""
    event = example_event(EventType.ADMITTED)
    with pytest.raises(ValidationError):
        event.event_id = "other"  # type: ignore[misc]
