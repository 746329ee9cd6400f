"""A scripted, seeded set of output records for the browser test: a small Trøndelag region over six hours."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hub.events import Event, UnitKind
from hub.events.outputs import AvvikRecord, AvvikStatus, BedMetricsRecord, PathwayStateRecord
from tests.board.records import avvik, beds, mission, pathway

Record = AvvikRecord | BedMetricsRecord | PathwayStateRecord | Event

# unit id (master data where it exists), kind, capacity, starting occupancy
UNITS: tuple[tuple[str, UnitKind, int, int], ...] = (
    ("K5037-KAD", UnitKind.KAD_SOMATISK, 6, 3),
    ("K5006-KAD", UnitKind.KAD_SOMATISK, 5, 4),
    ("K5007-KAD", UnitKind.KAD_SOMATISK, 5, 2),
    ("K5038-KADPR", UnitKind.KAD_PSYKISK_RUS, 2, 1),
    ("K5053-STUE", UnitKind.SYKESTUE, 4, 2),
    ("HNT-LEV-MED", UnitKind.WARD, 28, 24),
    ("HNT-LEV-KIR", UnitKind.WARD, 24, 17),
    ("HNT-NAM-MED", UnitKind.WARD, 20, 19),
)
CODES = ("SA01", "SA03", "SA04", "SA07", "SA08", "SA09", "SA10", "SA12", "SA13")
KOMMUNER = ("5006", "5037", "5007", "5038", "5035")


def initial(now: datetime, seed: int = 7) -> list[Record]:
    """Six hours of history up to ``now``: bed records every 30 min, avvik, utskrivningsklare, ambulance."""
    rng = random.Random(seed)
    records: list[Record] = []
    start = now - timedelta(hours=6)
    for unit_id, kind, capacity, occupied in UNITS:
        level = occupied
        for step in range(13):
            level = max(
                0, min(capacity + (1 if kind is UnitKind.WARD else 0), level + rng.choice((-1, 0, 0, 1)))
            )
            records.append(beds(unit_id, start + timedelta(minutes=30 * step), level, capacity, kind=kind))
    for i in range(14):
        code = CODES[i % len(CODES)]
        at = start + timedelta(minutes=rng.randint(0, 340))
        resolved = i % 4 == 3
        records.append(
            avvik(
                f"board-avvik-{i}",
                code,
                at,
                kommune=KOMMUNER[i % len(KOMMUNER)],
                status=AvvikStatus.RESOLVED if resolved else AvvikStatus.OPEN,
                resolved_at=at + timedelta(minutes=45) if resolved else None,
                pseudonym=f"PSEUDO-AV-{i:04d}-xxxxxxxx",
            )
        )
    for i, (kommune, days) in enumerate((("5006", 3), ("5037", 2), ("5006", 1), ("5007", 4))):
        records.append(
            avvik(
                f"board-sa05-{i}",
                "SA05",
                start,
                kommune=kommune,
                days=days,
                nok=days * 5745.0,
                pseudonym=f"PSEUDO-SA05-{i}-xxxx",
            )
        )
    for i in range(9):
        kommune = KOMMUNER[i % 4]
        records.append(pathway(f"PSEUDO-PW-{i:04d}-xxxxxxxx", "HOSPITAL", start, kommune))
        ready_at = start + timedelta(minutes=25 * i + 10)
        records.append(pathway(f"PSEUDO-PW-{i:04d}-xxxxxxxx", "UTSKRIVNINGSKLAR", ready_at, kommune))
    for i in range(28):
        area = "RURAL" if i % 3 == 0 else "TETTSTED"
        hastegrad = ("AKUTT", "AKUTT", "HASTER", "VANLIG")[i % 4]
        minutes = rng.uniform(5, 16) if area == "TETTSTED" else rng.uniform(12, 34)
        called = start + timedelta(minutes=12 * i)
        records.extend(mission(f"board-m{i}", called, round(minutes, 1), hastegrad=hastegrad, area=area))
    return records


def update(now: datetime) -> list[Record]:
    """What happens next: two new avvik, one resolved, a fuller KAD and another utskrivningsklar patient."""
    return [
        avvik(
            "board-new-1",
            "SA06",
            now - timedelta(minutes=2),
            kommune="5037",
            pseudonym="PSEUDO-NEW-1-xxxxxxxx",
        ),
        avvik(
            "board-new-2",
            "SA11",
            now - timedelta(minutes=1),
            kommune="5006",
            pseudonym="PSEUDO-NEW-2-xxxxxxxx",
        ),
        avvik(
            "board-avvik-0",
            CODES[0],
            now - timedelta(hours=5),
            kommune=KOMMUNER[0],
            status=AvvikStatus.RESOLVED,
            resolved_at=now - timedelta(minutes=1),
            pseudonym="PSEUDO-AV-0000-xxxxxxxx",
        ),
        beds("K5006-KAD", now, 5, 5),
        pathway("PSEUDO-PW-NEW-xxxxxxxxxx", "UTSKRIVNINGSKLAR", now, "5035"),
    ]
