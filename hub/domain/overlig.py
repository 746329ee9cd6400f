"""Overliggedøgn and betalingsplikt for utskrivningsklare pasienter.

Counting rule implemented (forskrift om kommunal betaling for utskrivningsklare pasienter; HOD's reading of
the payment clause: payment starts "fra og med det døgnet pasienten blir erklært utskrivningsklar" once the
kommune has been notified, when the kommune says it cannot receive the patient or has not answered):

* The payment start is ``max(DECLARED_READY, first READY notice to the kommune)``. No notice, no payment.
* A døgn is counted at the Europe/Oslo midnight that ends it (the liggedøgn census convention), for every
  midnight strictly after the payment start and strictly before the stop (discharge, death or
  READY_WITHDRAWN).
  So a patient declared and notified on day D and still in hospital on D+1 has one overliggedøgn (døgn D):
  "still in hospital on a day after DECLARED_READY".
* A døgn ``d`` is not counted when the kommune's latest answer before that midnight is "can receive" from
  a date ``X <= d`` (``X`` = the answer's receive date, or the day of the answer when it has none).
* Each counted døgn is priced with the døgnpris of its own calendar year. A year without a døgnpris in master
  data is not guessed: the days are counted, ``unpriced_days`` says how many, and the total is ``None``.
* The kommune billed is the patient's oppholdskommune, falling back to the bostedskommune.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from hub.domain.timeutil import local_date, midnights_between

DOGNPRIS_2014_2024: dict[int, int] = {
    2014: 4255,
    2015: 4387,
    2016: 4505,
    2017: 4622,
    2018: 4747,
    2019: 4885,
    2020: 5036,
    2021: 5167,
    2022: 5306,
    2023: 5508,
    2024: 5745,
}
"""Helsedirektoratet's døgnpris table 2014-2024 (also shipped in master data ``dognpris.csv``)."""


@dataclass(frozen=True, slots=True)
class KommuneAnswer:
    """A MUNICIPALITY_RESPONDED as the counting needs it."""

    t: int
    can_receive: bool
    receive_date: date | None


@dataclass(frozen=True, slots=True)
class OverligCount:
    """Counted overliggedøgn of one utskrivningsklar period as of an event-time instant."""

    start: int
    days: tuple[date, ...]
    next_midnight: int | None
    """The next midnight that may add a day (None when the period has stopped)."""


@dataclass(frozen=True, slots=True)
class Price:
    """Betalingsplikt for counted days: ``amount_nok`` is None when any day lacks a døgnpris."""

    amount_nok: int | None
    unpriced_days: int


def _charged(day: date, midnight: int, answers: Sequence[KommuneAnswer]) -> bool:
    latest: KommuneAnswer | None = None
    for answer in answers:
        if answer.t < midnight:
            latest = answer
    if latest is None or not latest.can_receive:
        return True
    available = latest.receive_date or local_date(latest.t)
    return day < available


def count_overlig(
    declared: int, notified: int | None, stop: int | None, answers: Sequence[KommuneAnswer], known_until: int
) -> OverligCount | None:
    """Overliggedøgn of one period, counting midnights up to ``known_until`` (None without a notice)."""
    if notified is None:
        return None
    start = max(declared, notified)
    limit = known_until + 1 if stop is None else min(stop, known_until + 1)
    days = tuple(
        local_date(m - 1) for m in midnights_between(start, limit) if _charged(local_date(m - 1), m, answers)
    )
    next_midnight: int | None = None
    if stop is None or stop > known_until:
        candidates = midnights_between(max(start, known_until), max(start, known_until) + 2 * 86_400)
        next_midnight = candidates[0] if candidates else None
        if next_midnight is not None and stop is not None and next_midnight >= stop:
            next_midnight = None
    return OverligCount(start=start, days=days, next_midnight=next_midnight)


def price(days: Sequence[date], dognpris: Mapping[int, int]) -> Price:
    """Sum of the døgnpris of each day's year; unknown years are counted, never guessed."""
    total = 0
    unpriced = 0
    for day in days:
        nok = dognpris.get(day.year)
        if nok is None:
            unpriced += 1
        else:
            total += nok
    return Price(amount_nok=None if unpriced else total, unpriced_days=unpriced)
