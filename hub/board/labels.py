"""Norwegian labels of the board: avvik codes, unit kinds and groups, ambulance hastegrad and area.

Avvik names come from the domain catalogue (one source of truth); the rest are short display labels.
"""

from __future__ import annotations

from hub.domain.avvik import CATALOGUE
from hub.events.enums import AmbulanceHastegrad, Area, UnitKind

AVVIK_NAMES: dict[str, str] = {code: entry.title_no for code, entry in CATALOGUE.items()}
"""SA01–SA14 -> short Norwegian name."""

UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.WARD: "Sengepost",
    UnitKind.AKUTTMOTTAK: "Akuttmottak",
    UnitKind.KAD_SOMATISK: "KAD somatikk",
    UnitKind.KAD_PSYKISK_RUS: "KAD psykisk helse/rus",
    UnitKind.SYKESTUE: "Sykestue",
    UnitKind.KORTTID: "Korttidsplass",
    UnitKind.SYKEHJEM: "Sykehjem",
    UnitKind.HJEMMETJENESTE: "Hjemmetjeneste",
    UnitKind.LEGEVAKT: "Legevakt",
    UnitKind.AMK: "AMK",
    UnitKind.OTHER: "Annet",
}

# Bar groups on the board, in display order: (key, label, kinds).
UNIT_GROUPS: tuple[tuple[str, str, frozenset[UnitKind]], ...] = (
    (
        "kad",
        "KAD / ØHD (kommunale akutte døgnplasser)",
        frozenset({UnitKind.KAD_SOMATISK, UnitKind.KAD_PSYKISK_RUS}),
    ),
    ("sykestue", "Sykestuer og korttid", frozenset({UnitKind.SYKESTUE, UnitKind.KORTTID, UnitKind.SYKEHJEM})),
    ("sykehus", "Sykehusposter", frozenset({UnitKind.WARD, UnitKind.AKUTTMOTTAK})),
)
OTHER_GROUP = ("annet", "Andre enheter")

HASTEGRAD_LABELS: dict[AmbulanceHastegrad, str] = {
    AmbulanceHastegrad.AKUTT: "Akutt (rød)",
    AmbulanceHastegrad.HASTER: "Haster (gul)",
    AmbulanceHastegrad.VANLIG: "Vanlig (grønn)",
}

AREA_LABELS: dict[Area, str] = {Area.TETTSTED: "Tettsted", Area.RURAL: "Spredtbygd"}

SEVERITY_LABELS: dict[str, str] = {"LOW": "Lav", "MEDIUM": "Middels", "HIGH": "Høy"}


def group_of(kind: UnitKind | None) -> tuple[str, str]:
    """Key and label of the bar group a unit kind belongs to."""
    for key, label, kinds in UNIT_GROUPS:
        if kind in kinds:
            return key, label
    return OTHER_GROUP
