"""HelseID-compatible OAuth2 access tokens (JWT, RFC 9068, ``typ`` ``at+jwt``).

Checked: the signature by a key of the configured issuer's JWKS, ``iss``, ``aud``, ``exp``/``nbf``/``iat``
(with leeway), the required scope, and — for DPoP-bound tokens — the proof of possession
(:mod:`hub.auth.dpop`). A token bound with ``cnf.jkt`` is accepted only with the ``DPoP`` scheme and a
matching proof; with ``require_dpop`` (the default) an unbound token is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.auth.dpop import DpopVerifier
from hub.auth.principal import Principal
from hub.errors import AuthError, ConfigError
from hub.settings import AuthSettings


def load_jwks(settings: AuthSettings) -> KeySet:
    """The issuer's public keys, from ``jwks_file`` or fetched once from ``jwks_url``."""
    try:
        if settings.jwks_file is not None:
            data = json.loads(settings.jwks_file.read_text(encoding="utf-8"))
        else:
            import httpx

            response = httpx.get(str(settings.jwks_url), timeout=10.0)
            response.raise_for_status()
            data = response.json()
        keys = KeySet.import_key_set(data)
    except (OSError, ValueError, JoseError) as exc:
        raise ConfigError(f"issuer JWKS could not be loaded: {exc}") from exc
    except Exception as exc:  # httpx errors: the JWKS endpoint did not answer
        raise ConfigError(f"issuer JWKS could not be fetched: {type(exc).__name__}") from exc
    if any(key.is_private for key in keys):
        raise ConfigError("the issuer JWKS holds a private key: configure the public keys only")
    return keys


class AccessTokenVerifier:
    """Checks access tokens of one issuer for one audience."""

    def __init__(
        self, settings: AuthSettings, keys: KeySet, *, clock: Callable[[], float] = time.time
    ) -> None:
        if not settings.issuer:
            raise ConfigError("access tokens need HUB_AUTH__ISSUER")
        self._settings = settings
        self._keys = keys
        self._clock = clock
        self._dpop = DpopVerifier(
            algorithms=settings.algorithms, iat_window_s=settings.dpop_iat_window_s, clock=clock
        )

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> AccessTokenVerifier:
        """A verifier with the issuer's JWKS loaded."""
        return cls(settings, load_jwks(settings))

    def verify(
        self,
        scheme: str,
        access_token: str,
        method: str,
        url: str,
        dpop: str | None,
        *,
        scope: str | None = None,
    ) -> Principal:
        """The caller, or :class:`AuthError` (``scope``: the one required, default ``required_scope``)."""
        s = self._settings
        try:
            token = jwt.decode(access_token, self._keys, algorithms=s.algorithms)
        except JoseError as exc:
            raise AuthError(f"access token invalid ({type(exc).__name__})") from exc
        if str(token.header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise AuthError("not an access token (typ is not at+jwt)")
        claims: dict[str, Any] = dict(token.claims)
        self._check_claims(claims)
        jkt = (claims.get("cnf") or {}).get("jkt") if isinstance(claims.get("cnf"), dict) else None
        if jkt is not None or scheme.lower() == "dpop" or s.require_dpop:
            if scheme.lower() != "dpop":
                raise AuthError("DPoP-bound access token presented with the Bearer scheme")
            if jkt is None:
                raise AuthError("access token is not DPoP-bound (no cnf.jkt)")
            base = s.public_base_url
            if base:
                from urllib.parse import urlsplit

                url = base.rstrip("/") + urlsplit(url).path
            proof = self._dpop.verify(dpop, method=method, url=url, access_token=access_token)
            if proof.jkt != jkt:
                raise AuthError("DPoP proof key does not match the token's cnf.jkt")
        scopes = _scopes(claims.get("scope"))
        needed = scope or s.required_scope
        if needed not in scopes:
            raise AuthError(f"scope {needed} missing", status=403)
        client = claims.get("client_id") or claims.get("azp") or claims.get("sub")
        return Principal(
            client=str(client),
            subject=str(claims["sub"]) if "sub" in claims else None,
            scopes=frozenset(scopes),
            method="dpop" if jkt else "bearer-jwt",
        )

    def _check_claims(self, claims: dict[str, Any]) -> None:
        s = self._settings
        now = self._clock()
        if claims.get("iss") != s.issuer:
            raise AuthError("access token iss is not the configured issuer")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
        if s.audience not in audiences:
            raise AuthError("access token aud does not name this API")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or now > exp + s.leeway_s:
            raise AuthError("access token expired or without exp")
        nbf = claims.get("nbf")
        if nbf is not None and (not isinstance(nbf, int | float) or now + s.leeway_s < nbf):
            raise AuthError("access token not yet valid (nbf)")
        iat = claims.get("iat")
        if iat is not None and (not isinstance(iat, int | float) or now + s.leeway_s < iat):
            raise AuthError("access token issued in the future (iat)")


def _scopes(value: object) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []
