"""Keyed HMAC pseudonyms: person numbers never enter Kafka, logs or metrics.

A pseudonym is ``base32(HMAC-SHA256(key, number))[:32]``, tagged with the id of the key that made it so keys
can be rotated (new pseudonyms under the new key; old records keep their ``key_id``).

Connectors write redacted source messages to the raw topics: each person number in them is replaced by a
*token* ``PSN1.<key_id>.<pseudonym>.<birth year or 0>.<F|M|U>`` that keeps what the hub may know (birth year,
sex) and nothing else. :meth:`Pseudonymiser.resolve` accepts either a real number or such a token, so one
format mapper serves both the connector (real numbers) and the normalise agent (tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from hub.errors import ConfigError, IdentityError
from hub.events.enums import Sex
from hub.events.parts import Patient
from hub.identity.numbers import NumberKind, parse_person_number
from hub.settings import PseudonymSettings

TOKEN_RE = re.compile(
    r"^PSN1\.(?P<key>[A-Za-z0-9_-]{1,32})\.(?P<psn>[A-Z2-7]{32})\.(?P<year>\d{1,4})\.(?P<sex>[FMU])$"
)
_SEX_CODE = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.UNKNOWN: "U"}
_CODE_SEX = {v: k for k, v in _SEX_CODE.items()}


@dataclass(frozen=True, slots=True)
class PseudonymousPerson:
    """What the hub may know about a person: pseudonym, key id, birth year and sex."""

    pseudonym: str
    key_id: str
    birth_year: int | None
    sex: Sex
    kind: NumberKind | None = None

    @property
    def token(self) -> str:
        """The redaction token that stands for this person in raw topics."""
        return f"PSN1.{self.key_id}.{self.pseudonym}.{self.birth_year or 0}.{_SEX_CODE[self.sex]}"

    def to_patient(self, *, bostedskommune: str | None = None, oppholdskommune: str | None = None) -> Patient:
        """The canonical event's patient part."""
        return Patient(
            pseudonym=self.pseudonym,
            key_id=self.key_id,
            birth_year=self.birth_year,
            sex=self.sex,
            bostedskommune=bostedskommune,
            oppholdskommune=oppholdskommune,
        )


def is_token(text: str) -> bool:
    """True if ``text`` is a redaction token rather than a person number."""
    return TOKEN_RE.match(text.strip()) is not None


class Pseudonymiser:
    """Turns person numbers into pseudonyms with the active key; reads tokens made with any configured key."""

    def __init__(
        self,
        keys: Mapping[str, bytes],
        active_key_id: str,
        *,
        allow_synthetic: bool = True,
        accept_tokens: bool = True,
    ) -> None:
        if active_key_id not in keys:
            raise ConfigError(f"active pseudonym key {active_key_id!r} is not configured")
        for key_id, secret in keys.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", key_id):
                raise ConfigError(f"pseudonym key id {key_id!r} must be 1-32 of [A-Za-z0-9_-]")
            if len(secret) < 16:
                raise ConfigError(f"pseudonym key {key_id!r} is shorter than 16 bytes")
        self._keys = dict(keys)
        self.active_key_id = active_key_id
        self.allow_synthetic = allow_synthetic
        self.accept_tokens = accept_tokens
        """False in connectors: a sender must send a person number, never a token it made up or copied."""

    @classmethod
    def from_settings(
        cls, settings: PseudonymSettings, *, allow_synthetic: bool = True, accept_tokens: bool = True
    ) -> Pseudonymiser:
        """Build from the ``HUB_PSEUDONYM__*`` settings."""
        keys = {k: v.get_secret_value().encode() for k, v in settings.keys.items()}
        return cls(keys, settings.active_key_id, allow_synthetic=allow_synthetic, accept_tokens=accept_tokens)

    def pseudonym_of(self, number: str, *, key_id: str | None = None) -> str:
        """The pseudonym of a (validated) person number under ``key_id`` (default: the active key)."""
        key = self._keys[key_id or self.active_key_id]
        digest = hmac.new(key, number.encode("ascii"), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii")[:32]

    def person(self, number: str, *, today: date | None = None) -> PseudonymousPerson:
        """Validate a person number and pseudonymise it; raises :class:`IdentityError` if invalid."""
        parsed = parse_person_number(number, allow_synthetic=self.allow_synthetic, today=today)
        return PseudonymousPerson(
            pseudonym=self.pseudonym_of(parsed.number),
            key_id=self.active_key_id,
            birth_year=parsed.birth_year,
            sex=parsed.sex,
            kind=parsed.kind,
        )

    def token_for(self, identifier: str) -> str:
        """The redaction token of a person number; a token (one this redaction already wrote) unchanged.

        Redactors call this, after the mapping refused tokens in the input (``accept_tokens=False``)."""
        match = TOKEN_RE.match(identifier.strip())
        if match is not None and match["key"] in self._keys:
            return identifier.strip()
        return self.person(identifier).token

    def resolve(self, identifier: str, *, today: date | None = None) -> PseudonymousPerson:
        """A person from either a real person number or a redaction token."""
        match = TOKEN_RE.match(identifier.strip())
        if match is None:
            return self.person(identifier, today=today)
        if not self.accept_tokens:
            raise IdentityError("a pseudonym token is not accepted where a person number belongs")
        if match["key"] not in self._keys:
            raise IdentityError(f"pseudonym token made with unknown key id {match['key']!r}")
        year = int(match["year"])
        return PseudonymousPerson(match["psn"], match["key"], year or None, _CODE_SEX[match["sex"]])
