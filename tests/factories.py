"""One valid example of every canonical event type, for round-trip and pipeline tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.events import (
    BODY_FOR_TYPE,
    Event,
    EventType,
    SourceKind,
    make_event_id,
)

BASE_TIME = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)

BODIES: dict[EventType, dict[str, Any]] = {
    EventType.ADMITTED: {"episode_id": "E1", "hastegrad": "AKUTT", "from_place": "AMBULANCE", "tvang": False},
    EventType.TRANSFERRED: {"episode_id": "E1", "from_unit_id": "HNT-LEV-AKM", "to_unit_id": "HNT-LEV-MED"},
    EventType.DISCHARGED: {"episode_id": "E1", "destination": "KAD"},
    EventType.ADMISSION_CANCELLED: {"episode_id": "E1"},
    EventType.DISCHARGE_CANCELLED: {"episode_id": "E1"},
    EventType.DIED: {"episode_id": None},
    EventType.DECLARED_READY: {"episode_id": "E1"},
    EventType.READY_WITHDRAWN: {"episode_id": "E1"},
    EventType.MUNICIPALITY_NOTIFIED: {"episode_id": "E1", "notice": "READY", "kommunenummer": "5006"},
    EventType.MUNICIPALITY_RESPONDED: {
        "episode_id": "E1",
        "can_receive": True,
        "receive_date": date(2024, 3, 6),
    },
    EventType.INNLEGGELSESRAPPORT_SENT: {"episode_id": "E1", "document_id": "D1"},
    EventType.UTSKRIVNINGSRAPPORT_SENT: {"episode_id": "E1"},
    EventType.EPIKRISE_SENT: {"episode_id": "E1", "document_id": "EPI-1"},
    EventType.MESSAGE_REJECTED: {
        "rejected_message_id": "M-9",
        "message_type": "LOG_UTSKRIVNINGSKLAR",
        "error_code": "E10",
        "reason": "Ukjent pasient",
    },
    EventType.MEDISINSKE_OPPLYSNINGER_SENT: {"document_id": "MO-1"},
    EventType.HELSEOPPLYSNINGER_LEGE_SENT: {"document_id": "HL-1"},
    EventType.DIALOGUE_QUESTION_SENT: {
        "conversation_id": "C1",
        "topic_code": "99",
        "receiver_her_id": "91096",
    },
    EventType.DIALOGUE_ANSWER_SENT: {
        "conversation_id": "C1",
        "in_reply_to": "C1",
        "receiver_her_id": "99387",
    },
    EventType.KAD_ADMITTED: {"stay_id": "K1", "bed_kind": "KAD_SOMATISK", "referred_by": "LEGEVAKT"},
    EventType.KAD_DISCHARGED: {"stay_id": "K1", "destination": "HOME"},
    EventType.MUNICIPAL_SERVICE_STARTED: {"service_id": "S1", "service": "HJEMMESYKEPLEIE"},
    EventType.MUNICIPAL_SERVICE_ENDED: {"service_id": "S1", "service": "HJEMMESYKEPLEIE"},
    EventType.CALL_RECEIVED: {"mission_id": "A1", "hastegrad": "AKUTT", "area": "TETTSTED"},
    EventType.DISPATCHED: {"mission_id": "A1", "hastegrad": "AKUTT", "area": "TETTSTED"},
    EventType.ON_SCENE: {"mission_id": "A1", "hastegrad": "AKUTT", "area": "RURAL"},
    EventType.LEFT_SCENE: {"mission_id": "A1", "hastegrad": "HASTER", "area": "RURAL"},
    EventType.ARRIVED: {
        "mission_id": "A1",
        "hastegrad": "AKUTT",
        "area": "TETTSTED",
        "destination": "HOSPITAL",
    },
    EventType.CANCELLED: {"mission_id": "A1", "hastegrad": "VANLIG", "area": "TETTSTED"},
    EventType.BED_CAPACITY_SET: {
        "unit_id": "LEV-KAD",
        "unit_kind": "KAD_SOMATISK",
        "beds": 8,
        "valid_from": date(2024, 1, 1),
    },
    EventType.AVVIK_REPORTED: {
        "category": "Manglende epikrise",
        "text": "Epikrise ikke mottatt etter 3 dager",
    },
}


def example_event(
    event_type: EventType,
    *,
    pseudonym: str = "PSEUDONYMAAAAAAAAAAAAAAAAAAAAAAA",
    offset_minutes: int = 0,
    message_id: str | None = None,
) -> Event:
    """A valid event of ``event_type`` for patient ``pseudonym``."""
    msg = message_id or f"MSG-{event_type.value}-{offset_minutes}"
    patient = (
        None
        if event_type is EventType.BED_CAPACITY_SET
        else {
            "pseudonym": pseudonym,
            "key_id": "dev1",
            "birth_year": 1941,
            "sex": "FEMALE",
            "bostedskommune": "5006",
            "oppholdskommune": "5006",
        }
    )
    return Event.model_validate(
        {
            "event_id": make_event_id(SourceKind.SIMULATOR, "test", msg, event_type),
            "event_type": event_type,
            "occurred_at": BASE_TIME + timedelta(minutes=offset_minutes),
            "recorded_at": BASE_TIME + timedelta(minutes=offset_minutes, seconds=5),
            "source": {"kind": "SIMULATOR", "system": "test", "message_id": msg, "sender_her_id": "12345"},
            "patient": patient,
            "organisation": {
                "hf": "HNT",
                "hospital": "Levanger",
                "unit_id": "HNT-LEV-MED",
                "unit_kind": "WARD",
                "kommunenummer": "5037",
            },
            "body": BODIES[event_type],
        }
    )


def all_examples() -> list[Event]:
    """One example of every event type, in declaration order."""
    assert set(BODIES) == set(BODY_FOR_TYPE), "every event type needs an example"
    return [example_event(t, offset_minutes=i) for i, t in enumerate(EventType)]
