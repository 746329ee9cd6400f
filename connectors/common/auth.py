"""Who may write to a connector: senders authenticate by mutual TLS (``HUB_TLS__CLIENT_CA_FILE``) or, on
the HTTP connectors, by HelseID-style access tokens with DPoP (``HUB_AUTH__CONNECTORS=true``, scope
``HUB_AUTH__CONNECTOR_SCOPE``). Outside ``HUB_ENV=dev`` a connector without either refuses to start unless
``HUB_AUTH__ANONYMOUS_SENDERS=true`` says that is intended.

The ops endpoints (``/healthz``, ``/readyz``, ``/metrics``) are not protected here: they run on their own
port and hold no patient data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web

from connectors.common.trace import traced
from hub.auth import RequestAuthenticator
from hub.errors import AuthError, ConfigError
from hub.settings import HubSettings

log = structlog.get_logger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def check_sender_authentication(settings: HubSettings) -> None:
    """Refuse to start a connector that anyone who reaches its port could write to (outside dev)."""
    if settings.env == "dev" or settings.auth.anonymous_senders:
        return
    if settings.tls.client_ca_file is None and not settings.auth.connectors:
        raise ConfigError(
            "connectors need sender authentication: HUB_TLS__CLIENT_CA_FILE (mutual TLS) or "
            "HUB_AUTH__CONNECTORS=true with HUB_AUTH__ISSUER (access tokens)"
        )
    if settings.auth.connectors and not settings.auth.issuer:
        raise ConfigError("HUB_AUTH__CONNECTORS=true needs HUB_AUTH__ISSUER and its JWKS")


def check_mllp_senders(settings: HubSettings) -> None:
    """MLLP has no tokens: outside dev its senders authenticate by mutual TLS (or the operator says
    anonymous senders are intended)."""
    if settings.env == "dev" or settings.auth.anonymous_senders:
        return
    if settings.tls.client_ca_file is None:
        raise ConfigError(
            "MLLP needs sender authentication: HUB_TLS__CLIENT_CA_FILE (mutual TLS), or "
            "HUB_AUTH__ANONYMOUS_SENDERS=true where the network admits only known senders"
        )


def protect(app: web.Application, settings: HubSettings) -> web.Application:
    """Add the token check to a connector app when ``HUB_AUTH__CONNECTORS`` is on; return ``app``.

    Every HTTP connector's app passes here, so here it also gets the request's W3C ``traceparent`` kept for
    the raw records it writes (:func:`connectors.common.trace.traced`)."""
    check_sender_authentication(settings)
    traced(app)
    if not settings.auth.connectors:
        return app
    authenticator = RequestAuthenticator(settings, scope=settings.auth.connector_scope)
    base = settings.auth.public_base_url

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        url = (base.rstrip("/") + request.path) if base else str(request.url)
        try:
            principal = authenticator.authenticate(request.method, url, request.headers)
        except AuthError as exc:
            log.warning("connector request refused", reason=exc.reason, path=request.path)
            return web.json_response(
                {"error": "authentication required" if exc.status == 401 else "forbidden"},
                status=exc.status,
                headers={"WWW-Authenticate": 'DPoP algs="RS256 PS256 ES256"'},
            )
        structlog.contextvars.bind_contextvars(sender=principal.client)
        try:
            return await handler(request)
        finally:
            structlog.contextvars.unbind_contextvars("sender")

    app.middlewares.append(require_token)
    return app
