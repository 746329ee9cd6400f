"""Authentication of patient-level HTTP APIs.

* :mod:`hub.auth.tokens`: HelseID-compatible OAuth2 access tokens (JWT) checked against the issuer's JWKS.
* :mod:`hub.auth.dpop`: DPoP proofs of possession (RFC 9449) with a ``jti`` replay cache.
* :mod:`hub.auth.request`: one :class:`RequestAuthenticator` that a view calls with the method, URL and
  headers of a request; static bearer tokens only with ``HUB_ENV=dev``.
"""

from __future__ import annotations

from hub.auth.principal import Principal
from hub.auth.request import RequestAuthenticator

__all__ = ["Principal", "RequestAuthenticator"]
