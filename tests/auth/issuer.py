"""A HelseID-like issuer made by the test: an RSA signing key, its JWKS file, access tokens bound to a
client's DPoP key, and DPoP proofs (RFC 9449)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from hub.auth.dpop import access_token_hash
from hub.settings import AuthSettings

ISSUER = "https://helseid-sts.test.example"
AUDIENCE = "samhandling-hub"
SCOPE = "samhandling:pathway.read"


@dataclass
class Issuer:
    """Signs access tokens; ``client_key`` is the client's DPoP key."""

    directory: Path
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "sig-1"}))
    client_key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256"))

    @property
    def jwks_file(self) -> Path:
        path = self.directory / "jwks.json"
        if not path.exists():
            path.write_text(json.dumps(KeySet([self.key]).as_dict(private=False)))
        return path

    def settings(self, **overrides: Any) -> AuthSettings:
        return AuthSettings(issuer=ISSUER, audience=AUDIENCE, jwks_file=self.jwks_file, **overrides)

    def token(self, *, key: RSAKey | None = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "client_id": "kommune-journal",
            "scope": f"openid {SCOPE}",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "cnf": {"jkt": self.client_key.thumbprint()},
            "jti": uuid.uuid4().hex,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        signing = key or self.key
        head = {"alg": "RS256", "typ": "at+jwt", "kid": signing.kid, **(header or {})}
        return jwt.encode(head, body, signing)

    def proof(
        self,
        access_token: str,
        *,
        method: str = "GET",
        url: str = "https://hub.example/pathway/P1",
        key: ECKey | None = None,
        **claims: Any,
    ) -> str:
        signing = key or self.client_key
        body: dict[str, Any] = {
            "jti": uuid.uuid4().hex,
            "htm": method,
            "htu": url,
            "iat": int(time.time()),
            "ath": access_token_hash(access_token),
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        header = {"alg": "ES256", "typ": "dpop+jwt", "jwk": signing.as_dict(private=False)}
        return jwt.encode(header, body, signing)
