"""Event-time helpers: epoch seconds (UTC) inside the core, Europe/Oslo calendar days for the rules.

The core keeps instants as ``int`` epoch seconds: compact in the serialised state and fast to compare.
Day-based rules (same-day notice, overliggedøgn) use the Norwegian calendar day (Europe/Oslo).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
DAY = 86_400
HOUR = 3_600


def to_epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime."""
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    """Aware UTC datetime of epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def iso(seconds: int | None) -> str | None:
    """ISO 8601 UTC text of epoch seconds (``Z`` suffix), or None."""
    if seconds is None:
        return None
    return from_epoch(seconds).isoformat().replace("+00:00", "Z")


def parse_iso(text: str | None) -> int | None:
    """Epoch seconds of an ISO 8601 text written by :func:`iso`, or None."""
    if text is None:
        return None
    return to_epoch(datetime.fromisoformat(text.replace("Z", "+00:00")))


def local_date(seconds: int) -> date:
    """The Europe/Oslo calendar date of an instant."""
    return _local_date_of_hour(seconds - seconds % HOUR)


@lru_cache(maxsize=1 << 16)
def _local_date_of_hour(hour_start: int) -> date:
    # Oslo's offset is whole hours and changes on the hour, so the date is constant within a UTC hour.
    return datetime.fromtimestamp(hour_start, OSLO).date()


@lru_cache(maxsize=16_384)
def local_midnight(day: date) -> int:
    """Epoch seconds of 00:00 Europe/Oslo starting ``day``."""
    return to_epoch(datetime(day.year, day.month, day.day, tzinfo=OSLO))


def end_of_local_day(seconds: int) -> int:
    """The first Oslo midnight strictly after ``seconds`` (end of that calendar day)."""
    return local_midnight(local_date(seconds) + timedelta(days=1))


def midnights_between(after: int, before: int) -> list[int]:
    """Oslo midnights ``m`` with ``after < m < before`` (``before`` exclusive), ascending."""
    result: list[int] = []
    day = local_date(after) + timedelta(days=1)
    midnight = local_midnight(day)
    while midnight < before:
        result.append(midnight)
        day += timedelta(days=1)
        midnight = local_midnight(day)
    return result
