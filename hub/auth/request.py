"""One authenticator for every patient-level HTTP view: HelseID-style JWT + DPoP, or (development only)
static bearer tokens. A view passes the method, URL and headers; the answer is a :class:`Principal` or an
:class:`~hub.errors.AuthError` whose reason goes to the audit stream."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from hub.auth.principal import Principal
from hub.errors import AuthError
from hub.settings import HubSettings


class RequestAuthenticator:
    """Checks a request's ``Authorization`` (and ``DPoP``) headers."""

    def __init__(self, settings: HubSettings, *, scope: str | None = None) -> None:
        self.scope = scope
        self._static = (
            {name: token.get_secret_value().encode() for name, token in settings.web.api_tokens.items()}
            if settings.env == "dev"
            else {}
        )
        self._tokens = None
        if settings.auth.issuer:
            from hub.auth.tokens import AccessTokenVerifier

            self._tokens = AccessTokenVerifier.from_settings(settings.auth)

    def authenticate(self, method: str, url: str, headers: Mapping[str, str]) -> Principal:
        """The caller of a request, or :class:`AuthError` (401: not authenticated, 403: lacks scope)."""
        header = headers.get("Authorization") or ""
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if not credential:
            raise AuthError("no credentials")
        if self._tokens is not None and scheme.lower() in ("dpop", "bearer") and credential.count(".") == 2:
            return self._tokens.verify(scheme, credential, method, url, headers.get("DPoP"), scope=self.scope)
        if scheme.lower() == "bearer" and self._static:
            presented = credential.encode()
            for name, token in self._static.items():
                if hmac.compare_digest(presented, token):
                    return Principal(client=name, subject=None, scopes=frozenset({"*"}), method="static")
        raise AuthError("invalid credentials")
