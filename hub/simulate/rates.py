"""Events per day for the count-based generator (used only when the calibrated region cannot be built).

The simulator's default is :mod:`hub.synth.region`: patients per year from population and ``rates.csv``
(sourced, derived or assumption, each row says). This module is the fallback when a helsefellesskap has no
population or a rate is missing, and for ``--events-per-day``.

DESIGN §6: KAD ≈ 6 admissions per 1 000 inhabitants a year (32 957 admissions in 2022 / ~5.5 M). In
:mod:`hub.synth` about 0.24 KAD stays start per patient (18 % of patients go straight to KAD, ~8 % of the
others after a hospital stay) and a patient makes ~8 events, so events/day = population × 6/1000/365 / 0.24
× 8. Without population the fallback below is used (DESIGN §7: no invented figures).
"""

from __future__ import annotations

from datetime import date

from hub.masterdata.model import MasterData
from hub.synth.generator import EVENTS_PER_PATIENT

KAD_ADMISSIONS_PER_1000_YEAR = 6.0
KAD_STAYS_PER_SYNTH_PATIENT = 0.18 + 0.82 * 0.88 * 0.08
FALLBACK_EVENTS_PER_DAY = 100.0
"""Illustrative volume when population is unknown: ~12 synthetic patients a day."""


def events_per_day(masterdata: MasterData, helsefellesskap_id: str, on: date) -> float:
    """Synthetic events per day matching the KAD admission rate of the helsefellesskap's population."""
    kommuner = masterdata.kommuner_of(helsefellesskap_id, on)
    populations = [masterdata.population(k.kommunenummer, on) for k in kommuner]
    if not populations or any(p is None for p in populations):
        return FALLBACK_EVENTS_PER_DAY
    people = sum(p for p in populations if p is not None)
    kad_per_day = people * KAD_ADMISSIONS_PER_1000_YEAR / 1000 / 365
    return kad_per_day / KAD_STAYS_PER_SYNTH_PATIENT * EVENTS_PER_PATIENT
