"""ELIN time values: Europe/Oslo local time (xs:dateTime or xs:date) to aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from hub.errors import ValidationError

OSLO = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True, slots=True)
class Stamp:
    """A time from a message: the UTC instant and whether the source gave only a date."""

    at: datetime
    date_only: bool

    @property
    def local_date(self) -> date:
        """The calendar date in Oslo."""
        return self.at.astimezone(OSLO).date()


def parse_stamp(value: str, *, where: str) -> Stamp:
    """Parse an ELIN date or dateTime; local (zone-less) values are Europe/Oslo time."""
    raw = value.strip()
    try:
        if "T" not in raw:
            day = date.fromisoformat(raw[:10])
            return Stamp(datetime.combine(day, time(0, 0), OSLO).astimezone(UTC), date_only=True)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"not a date/time: {raw[:40]!r}", code="time", location=where) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=OSLO)
    return Stamp(parsed.astimezone(UTC), date_only=False)


def event_time(stamp: Stamp | None, sent: datetime) -> datetime:
    """The event time: the stated time; for a date-only value on the sending day, the sending time.

    A date without a time of day ("utskrivningsklar 2018-01-31") stated in a message sent that same day most
    likely describes the moment of sending; for another day the start of that day (Oslo) is used.
    """
    if stamp is None:
        return sent
    if stamp.date_only and stamp.local_date == sent.astimezone(OSLO).date():
        return sent
    return stamp.at
