"""Web views of the worker (faust's aiohttp server): health, readiness, metrics, authorised pathway reads.

``/readyz`` answers 200 only after table recovery finished and no rebalance is in progress.
``/pathway/{pseudonym}`` reveals patient-level data: it needs a bearer token from ``HUB_WEB__API_TOKENS`` and
every read is audit-logged (who, which pseudonym, when, answer) — never the content.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import structlog
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from hub.settings import HubSettings

audit = structlog.get_logger("hub.audit")


def authorised_client(settings: HubSettings, header: str | None) -> str | None:
    """The name of the API client whose bearer token is in ``header``, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    presented = header.removeprefix("Bearer ").strip().encode()
    for name, token in settings.web.api_tokens.items():
        if hmac.compare_digest(presented, token.get_secret_value().encode()):
            return name
    return None


def is_ready(app: faust.App) -> bool:
    """True once tables are recovered and no rebalance is running (``tables.recovery.completed`` is a faust
    internal, checked at start-up by :mod:`agents.internals`)."""
    tables: Any = app.tables
    recovered = bool(tables.recovery.completed.is_set())
    return recovered and not app.rebalancing


def register_views(
    app: faust.App,
    settings: HubSettings,
    registry: CollectorRegistry,
    read_pathway: Callable[[str], Awaitable[dict[str, Any] | None]],
    on_ready: Callable[[bool], None],
) -> None:
    """Add /healthz, /readyz, /metrics and /pathway/{pseudonym} to the app's web server."""

    @app.page("/healthz")
    class Healthz(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})

    @app.page("/readyz")
    class Readyz(View):
        async def get(self, request: Request) -> Response:
            ready = is_ready(app)
            on_ready(ready)
            return self.json({"ready": ready}, status=200 if ready else 503)

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/pathway/{pseudonym}")
    class Pathway(View):
        async def get(self, request: Request, pseudonym: str) -> Response:
            client = authorised_client(settings, request.headers.get("Authorization"))
            if client is None:
                audit.warning("pathway read refused", pseudonym=pseudonym, reason="no valid bearer token")
                return self.json({"error": "authentication required"}, status=401)
            state = await read_pathway(pseudonym)
            audit.info("pathway read", client=client, pseudonym=pseudonym, found=state is not None)
            if state is None:
                return self.json({"error": "no pathway for this pseudonym on this worker"}, status=404)
            return self.bytes(json.dumps(state, default=str).encode(), content_type="application/json")
