"""Example KPR extracts: the synthetic IPLOS sample and CSV builders (synthetic person numbers only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hub.identity.synthetic import synthetic_number

SAMPLES = Path(__file__).parent / "samples"
IPLOS_SAMPLE = (SAMPLES / "iplos-extract.xml").read_bytes()
PERSON_A = synthetic_number(date(1937, 2, 11), 7, female=True)
PERSON_B = synthetic_number(date(1944, 9, 30), 3, female=False)
"""Synthetic fødselsnumre (month + 80): never real people's."""

HEADER = "record_id,person_id,kommunenummer,tjenestetype,start,end,bed_kind,referred_by,discharge_destination"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    """A CSV file from a header and rows."""
    return ("\n".join([header, *rows]) + "\n").encode()


def row(
    record_id: str = "R1",
    *,
    person: str = PERSON_A,
    kommune: str = "5001",
    code: str = "25",
    start: str = "2024-03-01T10:15:00+01:00",
    end: str = "",
    bed: str = "",
    referred: str = "",
    destination: str = "",
) -> str:
    """One CSV row in HEADER's column order."""
    return ",".join([record_id, person, kommune, code, start, end, bed, referred, destination])


SAMPLE_CSV = csv_bytes(
    row("K1", end="2024-03-03T09:00:00+01:00", referred="legevakt", destination="home"),
    row("K2", person=PERSON_B, bed="sykestue", code="20", start="2024-03-10", referred="hospital"),
    row("S1", code="15", start="2023-11-01", end="2024-02-29"),
)
