"""Finding and masking person numbers in text and bytes that leave a connector: record keys, values and
headers, dead-letter reasons, log lines.

:func:`find_person_numbers` reports every 11-digit run (alone, or written ``DDMMYY NNNNN``) that passes the
fødselsnummer / D-/H-/FH-nummer rules, synthetic ones included; :func:`mask_digits` hides *every* 11-digit
run, valid or not, since a reason or a log line has no need for one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hub.errors import IdentityError
from hub.identity.numbers import parse_person_number

_RUN_TEXT = re.compile(r"(?<!\d)(\d{6})[ .-]?(\d{5})(?!\d)")
_RUN_BYTES = re.compile(rb"(?<![0-9])([0-9]{6})[ .-]?([0-9]{5})(?![0-9])")
MASK = "*" * 11


def _valid(number: str) -> bool:
    try:
        parse_person_number(number, allow_synthetic=True)
    except IdentityError:
        return False
    return True


def find_person_numbers(data: str | bytes) -> list[str]:
    """The valid person numbers written in ``data`` (as 11 digits)."""
    if isinstance(data, bytes | bytearray):
        runs = [(m[1] + m[2]).decode("ascii") for m in _RUN_BYTES.finditer(data)]
    else:
        runs = [m[1] + m[2] for m in _RUN_TEXT.finditer(data)]
    return [run for run in runs if _valid(run)]


def replace_person_numbers(text: str, replace: Callable[[str], str]) -> str:
    """``text`` with each valid person number (11 digits, or ``DDMMYY NNNNN``) as ``replace(number)``."""

    def swap(match: re.Match[str]) -> str:
        number = match[1] + match[2]
        return replace(number) if _valid(number) else match[0]

    return _RUN_TEXT.sub(swap, text)


def mask_person_numbers(data: bytes) -> tuple[bytes, int]:
    """``data`` with every valid person number overwritten by asterisks (same length), and how many."""
    count = 0

    def swap(match: re.Match[bytes]) -> bytes:
        nonlocal count
        if _valid((match[1] + match[2]).decode("ascii")):
            count += 1
            return b"*" * len(match[0])
        return match[0]

    return _RUN_BYTES.sub(swap, data), count


def mask_digits(text: str) -> str:
    """``text`` with every 11-digit run (also ``DDMMYY NNNNN``) replaced by asterisks."""
    return _RUN_TEXT.sub(MASK, text)


class PersonNumberLeak(ValueError):
    """A record about to be written holds a valid person number (in ``where``: key, value or a header)."""

    def __init__(self, topic: str, where: str) -> None:
        super().__init__(f"a person number would reach topic {topic} ({where}); the record was not written")
        self.topic = topic
        self.where = where


def check_record(
    topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None
) -> None:
    """Raise :class:`PersonNumberLeak` if the key, value or a header of a record holds a person number."""
    if key and find_person_numbers(key):
        raise PersonNumberLeak(topic, "key")
    if value and find_person_numbers(value):
        raise PersonNumberLeak(topic, "value")
    for name, header in headers or []:
        if find_person_numbers(name) or (header and find_person_numbers(header)):
            raise PersonNumberLeak(topic, f"header {name!r}")
