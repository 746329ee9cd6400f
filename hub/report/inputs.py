"""Avvik records from JSON lines: the ``samhandling.avvik`` record shape or the domain shape ``hub evaluate``
prints (:meth:`hub.domain.avvik.AvvikRecord.to_dict`), one object per line, in any mix."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pydantic

from hub.errors import ParseError, ValidationError
from hub.events.outputs import AvvikRecord

__all__ = ["DOMAIN_TO_TOPIC", "parse_avvik", "read_avvik_lines"]

DOMAIN_TO_TOPIC: dict[str, str] = {
    "pseudonym": "patient_pseudonym",
    "kommunenummer": "kommune",
    "days": "overliggedogn",
    "amount_nok": "betalingsplikt_nok",
    "evidence": "evidence_event_ids",
}
"""Field names of the domain record (``hub evaluate`` output) → names of the topic record."""


def parse_avvik(data: dict[str, Any]) -> AvvikRecord:
    """One avvik record from a dict of either shape; raises pydantic's ``ValidationError`` when invalid."""
    converted = {DOMAIN_TO_TOPIC.get(key, key): value for key, value in data.items()}
    return AvvikRecord.model_validate(converted)


def read_avvik_lines(lines: Iterable[str], *, source: str = "input") -> list[AvvikRecord]:
    """Every record of the JSON lines (blank lines skipped); a bad line raises with its line number."""
    records: list[AvvikRecord] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"not JSON: {exc.msg}", location=where) from exc
        if not isinstance(data, dict):
            raise ParseError("not a JSON object", location=where)
        try:
            records.append(parse_avvik(data))
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ()))
            raise ValidationError(f"not an avvik record: {field}: {first['msg']}", location=where) from exc
    return records
