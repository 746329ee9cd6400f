"""DPoP proofs of possession (RFC 9449 §4.3): the proof JWT a client signs for each request with the key
its access token is bound to (``cnf.jkt``).

Checked: one well-formed proof, ``typ`` ``dpop+jwt``, an allowed asymmetric ``alg``, a public ``jwk`` whose
signature verifies, ``htm``/``htu`` naming this request, ``iat`` inside the window, ``ath`` the hash of the
access token, and a ``jti`` not seen before within the window (:class:`ReplayCache`).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from hub.errors import AuthError

_ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url (no padding) of the SHA-256 of the access token."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def normalise_htu(url: str) -> str:
    """The URL a proof's ``htu`` is compared with: scheme and host lower-case, no query or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


class ReplayCache:
    """Remembers proof ``jti`` values for ``window_s`` seconds (bounded; the oldest are forgotten first)."""

    def __init__(
        self, window_s: float, *, max_entries: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        self._window = window_s
        self._max = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, jti: str) -> bool:
        """True the first time ``jti`` is seen within the window, False on a replay."""
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if at >= now - self._window and len(self._seen) < self._max:
                    break
                del self._seen[oldest]
            if jti in self._seen:
                return False
            self._seen[jti] = now
            return True


@dataclass(frozen=True, slots=True)
class DpopProof:
    """A verified proof: the thumbprint (RFC 7638) of the key that signed it."""

    jkt: str
    jti: str


class DpopVerifier:
    """Verifies DPoP proofs for one resource server."""

    def __init__(
        self,
        *,
        algorithms: Collection[str],
        iat_window_s: int,
        replay: ReplayCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._algorithms = [a for a in algorithms if a in _ASYMMETRIC]
        self._window = iat_window_s
        self._clock = clock
        self._replay = replay or ReplayCache(2 * iat_window_s, clock=clock)

    def verify(self, proof: str | None, *, method: str, url: str, access_token: str) -> DpopProof:
        """Check ``proof`` for a request (``method``, ``url``) carrying ``access_token``."""
        if not proof or "," in proof:
            raise AuthError("DPoP proof missing or more than one")
        try:
            header = _unverified_header(proof)
            if header.get("typ") != "dpop+jwt":
                raise AuthError("DPoP proof typ is not dpop+jwt")
            if header.get("alg") not in self._algorithms:
                raise AuthError("DPoP proof alg not allowed")
            jwk_data = header.get("jwk")
            if not isinstance(jwk_data, dict) or any(k in jwk_data for k in ("d", "p", "q", "k")):
                raise AuthError("DPoP proof jwk missing or not a public key")
            key = _public_key(jwk_data)
            token = jwt.decode(proof, key, algorithms=self._algorithms)
        except JoseError as exc:
            raise AuthError(f"DPoP proof invalid ({type(exc).__name__})") from exc
        claims = token.claims
        if claims.get("htm") != method.upper():
            raise AuthError("DPoP proof htm does not match the request method")
        htu = claims.get("htu")
        if not isinstance(htu, str) or normalise_htu(htu) != normalise_htu(url):
            raise AuthError("DPoP proof htu does not match the request URL")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or abs(self._clock() - iat) > self._window:
            raise AuthError("DPoP proof iat outside the allowed window")
        if claims.get("ath") != access_token_hash(access_token):
            raise AuthError("DPoP proof ath does not match the access token")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 8 <= len(jti) <= 256:
            raise AuthError("DPoP proof jti missing")
        if not self._replay.first_use(jti):
            raise AuthError("DPoP proof replayed (jti seen before)")
        return DpopProof(jkt=key.thumbprint(), jti=jti)


def _unverified_header(compact: str) -> dict[str, Any]:
    import json

    head = compact.split(".", 1)[0]
    try:
        value = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuthError("DPoP proof header is not JSON") from exc
    if not isinstance(value, dict):
        raise AuthError("DPoP proof header is not an object")
    return value


def _public_key(data: dict[str, Any]) -> RSAKey | ECKey | OKPKey:
    kty = data.get("kty")
    if kty == "RSA":
        return RSAKey.import_key(data)
    if kty == "EC":
        return ECKey.import_key(data)
    if kty == "OKP":
        return OKPKey.import_key(data)
    raise AuthError("DPoP proof jwk kty not supported")
