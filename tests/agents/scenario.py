"""A scripted multi-patient scenario with known outcomes, and the pure core's answer for it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.domain import AvvikUpsert, Engine
from hub.events import Event, EventType, SourceKind, make_event_id
from hub.events.outputs import AvvikStatus
from hub.masterdata import load_masterdata

T0 = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
PATIENTS = {"A": "A" * 32, "B": "B" * 32, "C": "C" * 32, "D": "D" * 32}


def ev(
    kind: EventType,
    who: str | None,
    at: datetime,
    body: dict[str, Any],
    *,
    unit: str,
    msg: str,
    unit_kind: str = "WARD",
    kommune: str = "5037",
    hf: str | None = "HNT",
) -> Event:
    """One canonical event of the scenario."""
    patient = (
        None
        if who is None
        else {
            "pseudonym": PATIENTS[who],
            "key_id": "dev1",
            "birth_year": 1941,
            "sex": "FEMALE",
            "bostedskommune": "5037",
            "oppholdskommune": "5037",
        }
    )
    return Event.model_validate(
        {
            "event_id": make_event_id(SourceKind.SIMULATOR, "scenario", msg, kind),
            "event_type": kind,
            "occurred_at": at,
            "recorded_at": at + timedelta(seconds=2),
            "source": {"kind": "SIMULATOR", "system": "scenario", "message_id": msg},
            "patient": patient,
            "organisation": {"hf": hf, "unit_id": unit, "unit_kind": unit_kind, "kommunenummer": kommune},
            "body": body,
        }
    )


def scenario() -> list[Event]:
    """A: admitted, kommune never notified (SA01). B: admitted and notified in time (clean).
    C: KAD admission sent on to hospital after 5 h (SA11). D: admitted, then the admission cancelled (A11)."""
    ward, kad = "HNT-LEV-MED", "K5037-KAD"
    return [
        ev(EventType.ADMITTED, "A", T0, {"episode_id": "EA", "hastegrad": "AKUTT"}, unit=ward, msg="a1"),
        ev(
            EventType.ADMITTED,
            "B",
            T0 + timedelta(minutes=5),
            {"episode_id": "EB", "hastegrad": "AKUTT"},
            unit=ward,
            msg="b1",
        ),
        ev(
            EventType.MUNICIPALITY_NOTIFIED,
            "B",
            T0 + timedelta(hours=2),
            {"episode_id": "EB", "notice": "ADMISSION", "kommunenummer": "5037"},
            unit=ward,
            msg="b2",
        ),
        ev(
            EventType.KAD_ADMITTED,
            "C",
            T0 + timedelta(minutes=10),
            {"stay_id": "KC", "bed_kind": "KAD_SOMATISK", "referred_by": "LEGEVAKT"},
            unit=kad,
            unit_kind="KAD_SOMATISK",
            hf=None,
            msg="c1",
        ),
        ev(
            EventType.KAD_DISCHARGED,
            "C",
            T0 + timedelta(hours=5),
            {"stay_id": "KC", "destination": "HOSPITAL"},
            unit=kad,
            unit_kind="KAD_SOMATISK",
            hf=None,
            msg="c2",
        ),
        ev(
            EventType.ADMITTED,
            "D",
            T0 + timedelta(minutes=20),
            {"episode_id": "ED", "hastegrad": "AKUTT"},
            unit=ward,
            msg="d1",
        ),
        ev(
            EventType.ADMISSION_CANCELLED,
            "D",
            T0 + timedelta(hours=1),
            {"episode_id": "ED"},
            unit=ward,
            msg="d2",
        ),
    ]


def watermark_events(partitions: int) -> list[tuple[int, Event]]:
    """One capacity event far after the scenario on every partition, so event time passes every deadline."""
    later = T0 + timedelta(days=3)
    return [
        (
            p,
            ev(
                EventType.BED_CAPACITY_SET,
                None,
                later,
                {"unit_id": "HNT-LEV-MED", "unit_kind": "WARD", "beds": 28, "valid_from": date(2024, 1, 1)},
                unit="HNT-LEV-MED",
                msg=f"wm{p}",
            ),
        )
        for p in range(partitions)
    ]


def expected_avvik(events: list[Event]) -> dict[str, AvvikStatus]:
    """Avvik id → final status, from the pure core with the same events and clock."""
    engine = Engine(load_masterdata())
    out: dict[str, AvvikStatus] = {}
    for event in events:
        for effect in engine.apply(event) + engine.advance(
            max(engine.clock or event.occurred_at, event.occurred_at)
        ):
            if isinstance(effect, AvvikUpsert):
                out[effect.record.avvik_id] = AvvikStatus(effect.record.status.value)
    for effect in engine.advance(T0 + timedelta(days=3)):
        if isinstance(effect, AvvikUpsert):
            out[effect.record.avvik_id] = AvvikStatus(effect.record.status.value)
    return out
