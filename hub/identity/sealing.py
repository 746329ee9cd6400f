"""Sealing of original bytes for the dead-letter topic: AES-256-GCM with a key derived from a pseudonym key.

Dead letters must keep the original input (nothing is lost) but may contain person numbers, which never enter
Kafka readable. ``seal`` returns ``nonce || ciphertext``; ``open_sealed`` reverses it with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.errors import ConfigError, IdentityError
from hub.settings import PseudonymSettings

_INFO = b"samhandling-hub dead-letter sealing v1"
_DIGEST_INFO = b"samhandling-hub dead-letter digest v1"


def _derive(secret: bytes, info: bytes = _INFO) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class Sealer:
    """Seals and opens dead-letter payloads with keys derived from the configured pseudonym keys."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ConfigError(f"active pseudonym key {active_key_id!r} is not configured")
        self._aead = {key_id: AESGCM(_derive(secret)) for key_id, secret in keys.items()}
        self._digest_key = _derive(keys[active_key_id], _DIGEST_INFO)
        self.active_key_id = active_key_id

    @classmethod
    def from_settings(cls, settings: PseudonymSettings) -> Sealer:
        """Build from the ``HUB_PSEUDONYM__*`` settings."""
        return cls(
            {k: v.get_secret_value().encode() for k, v in settings.keys.items()}, settings.active_key_id
        )

    def seal(self, payload: bytes) -> bytes:
        """Encrypt ``payload`` with the active key; the result starts with its 12-byte nonce."""
        nonce = os.urandom(12)
        return nonce + self._aead[self.active_key_id].encrypt(nonce, payload, None)

    def digest(self, payload: bytes) -> str:
        """Keyed hex digest (HMAC-SHA256, key derived from the active pseudonym key) that identifies a dead
        letter: unlike a plain SHA-256 it cannot be confirmed by hashing guessed messages."""
        return hmac.new(self._digest_key, payload, hashlib.sha256).hexdigest()

    def open_sealed(self, sealed: bytes, key_id: str) -> bytes:
        """Decrypt what :meth:`seal` made with key ``key_id``."""
        aead = self._aead.get(key_id)
        if aead is None:
            raise IdentityError(f"no pseudonym key {key_id!r} configured to open this dead letter")
        try:
            return aead.decrypt(sealed[:12], sealed[12:], None)
        except InvalidTag as exc:
            raise IdentityError("dead letter could not be opened: wrong key or damaged payload") from exc


def sha256_hex(payload: bytes) -> str:
    """Hex SHA-256 of a payload, for in-process comparisons only; what goes to a topic uses
    :meth:`Sealer.digest`."""
    return hashlib.sha256(payload).hexdigest()
