"""Web views of the worker (faust's aiohttp server): health, readiness, metrics, authorised pathway reads.

``/readyz`` answers 200 only after table recovery finished and no rebalance is in progress.
``/pathway/{pseudonym}`` reveals patient-level data: it needs a HelseID-style access token with DPoP
(:mod:`hub.auth`; static ``HUB_WEB__API_TOKENS`` only with ``HUB_ENV=dev``) and every read, refused or
answered, goes to the audit stream (:mod:`hub.audit`: who, which pseudonym, when, from where, request id,
outcome) — never the content. faust's own ``/table/`` and ``/router/`` views are off (:mod:`agents.app`).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from hub.audit import AuditLog
from hub.auth import RequestAuthenticator
from hub.errors import AuthError
from hub.settings import HubSettings

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_of(headers: Any) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token, else a new one."""
    given = headers.get("X-Request-Id") or ""
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


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
    *,
    audit_log: AuditLog | None = None,
) -> None:
    """Add /healthz, /readyz, /metrics and /pathway/{pseudonym} to the app's web server."""
    audit = audit_log or AuditLog.from_settings(settings)
    authenticator = RequestAuthenticator(settings)

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
            request_id = request_id_of(request.headers)
            where = {"action": "pathway.read", "resource": pseudonym[:64], "request_id": request_id}
            peer = getattr(request, "remote", None)
            try:
                principal = authenticator.authenticate(request.method, str(request.url), request.headers)
            except AuthError as exc:
                audit.record(actor=None, outcome=f"refused: {exc.reason}", peer=peer, **where)
                return self.json(
                    {"error": "authentication required" if exc.status == 401 else "forbidden"},
                    status=exc.status,
                    headers={"WWW-Authenticate": 'DPoP algs="RS256 PS256 ES256"', "X-Request-Id": request_id},
                )
            state = await read_pathway(pseudonym)
            audit.record(
                actor=principal.client,
                outcome="found" if state is not None else "not found",
                peer=peer,
                **where,
            )
            if state is None:
                return self.json({"error": "no pathway for this pseudonym on this worker"}, status=404)
            return self.bytes(json.dumps(state, default=str).encode(), content_type="application/json")
