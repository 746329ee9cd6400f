"""Synthetic HL7 v2 ADT messages and person numbers for the HL7 connector tests (no real people)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from stdnum.no import fodselsnummer

from connectors.formats import MappingContext
from hub.identity import Pseudonymiser

RECEIVED_AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def synthetic_number(born: date, *, d_number: bool = False, female: bool = True, start: int = 0) -> str:
    """A valid synthetic (Tenor-style, month + 80) fødselsnummer or D-nummer born on ``born``."""
    base = 0 if born.year < 2000 else 500
    for individual in range(base + start, base + 500):
        if individual % 2 != (0 if female else 1):
            continue
        day = born.day + (40 if d_number else 0)
        head = f"{day:02d}{born.month + 80:02d}{born.year % 100:02d}{individual:03d}"
        k1 = fodselsnummer.calc_check_digit1(head)
        if len(k1) != 1:
            continue
        k2 = fodselsnummer.calc_check_digit2(head + k1)
        if len(k2) != 1:
            continue
        number = head + k1 + k2
        try:
            fodselsnummer.compact(number)
        except Exception:  # noqa: S112 - stdnum may refuse synthetic dates; try the next individual number
            continue
        return number
    raise AssertionError("no valid synthetic number found")


FNR = synthetic_number(date(1941, 5, 17))
DNR = synthetic_number(date(1985, 11, 3), d_number=True)


def context(pseudonymiser: Pseudonymiser | None = None) -> MappingContext:
    """A mapping context with the development pseudonym key."""
    return MappingContext(
        pseudonymiser=pseudonymiser or Pseudonymiser({"dev1": b"0123456789abcdef-test"}, "dev1"),
        received_at=RECEIVED_AT,
    )


def adt(
    trigger: str = "A01",
    *,
    control_id: str = "MSG00001",
    number: str = FNR,
    pv1_2: str = "I",
    pv1_3: str = "MED3^301^2^STO",
    pv1_4: str = "E",
    pv1_6: str = "",
    pv1_10: str = "",
    pv1_14: str = "HJEM",
    pv1_19: str = "V2024-0042",
    pv1_36: str = "",
    evn_2: str = "202403011030",
    evn_6: str = "",
    msh_7: str = "20240301103005",
    extra_segments: tuple[str, ...] = (),
    pid_3: str | None = None,
    county: str = "5006",
    pid_30: str = "N",
) -> bytes:
    """An ADT message (segments joined by CR) with the given fields."""
    pid3 = pid_3 if pid_3 is not None else f"H123456^^^STO^PI~{number}^^^FNR^NNNOR"
    pv1 = ["PV1", "1", pv1_2, pv1_3, pv1_4, "", pv1_6, "1234567^Lege^Lise", "", "", pv1_10]
    pv1 += [""] * 3 + [pv1_14] + [""] * 4 + [pv1_19] + [""] * 16 + [pv1_36]
    pid = [
        "PID",
        "1",
        "",
        pid3,
        "",
        "Nordmann^Kari^^^^^L",
        "Hansen",
        "19410517",
        "F",
        "",
        "",
        f"Storgata 1^^Steinkjer^^7713^NOR^H^^{county}",
        "",
        "^PRN^PH^^^^^^^^^+4791234567",
    ]
    pid += [""] * 16 + [pid_30]
    segments = [
        f"MSH|^~\\&|DIPS|STO^80000123^HER|HUB|SAMHANDLING|{msh_7}||ADT^{trigger}^ADT_A01|{control_id}|P|2.5|||AL|NE",
        f"EVN|{trigger}|{evn_2}||||{evn_6}",
        "|".join(pid),
        "NK1|1|Nordmann^Ola|SPO|Storgata 1^^Steinkjer|+4798765432",
        "|".join(pv1),
        *extra_segments,
    ]
    return "\r".join(segments).encode("utf-8") + b"\r"
