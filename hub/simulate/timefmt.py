"""Time formats the sources use: Oslo local time for ELIN, UTC offsets for HL7, ambulance and KPR."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def oslo_local(at: datetime) -> str:
    """ELIN xs:dateTime in Oslo local time without offset (as the KITH samples write it)."""
    return at.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S")


def hl7_ts(at: datetime) -> str:
    """HL7 v2 DTM with an explicit offset (unambiguous at DST changes)."""
    local = at.astimezone(OSLO)
    return local.strftime("%Y%m%d%H%M%S%z")


def iso_offset(at: datetime) -> str:
    """RFC 3339 with the Oslo offset."""
    return at.astimezone(OSLO).isoformat(timespec="seconds")


def utc(at: datetime) -> datetime:
    """``at`` in UTC."""
    return at.astimezone(UTC)
