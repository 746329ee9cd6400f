"""The message search as an authenticated HTTP API (``hub messages serve``).

* ``GET /api/messages?message_id=&pseudonym=&since=&until=&source=&status=``: journeys as JSON.
* ``POST /api/messages/search`` with a JSON body of the same fields plus ``person_number``: a patient by
  person number. The number travels in the body only, never in a URL (URLs end up in access logs).
* ``GET /``: the operator page (static; it calls the API with the token the operator enters).

Every request is authenticated by an :class:`Authenticator` (``hub.auth.RequestAuthenticator``: HelseID-style
JWT + DPoP, static bearer tokens only with ``HUB_ENV=dev``) and audited, refused or answered, with the caller,
the peer address and the request id; the search runs in a worker thread (it reads Kafka).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from hub.auth.principal import Principal
from hub.errors import AuthError, IdentityError
from hub.identity import Pseudonymiser
from hub.ops.journeys import MessageStatus, Query
from hub.ops.message_search import FORMATS, Caller, MessageFinder, patient_pseudonyms
from hub.settings import HubSettings

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
STATIC = Path(__file__).parent / "static"
_PAGE = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""The operator page holds no data (it asks the API with the operator's token); it keeps to its origin."""
_FIELDS = ("message_id", "pseudonym", "since", "until", "source", "status")


class Authenticator(Protocol):
    """Who made a request (``hub.auth.RequestAuthenticator`` is one)."""

    def authenticate(self, method: str, url: str, headers: Mapping[str, str]) -> Principal:
        """The caller, or :class:`AuthError`."""
        ...


class BadQuery(ValueError):
    """A request parameter the API cannot use (answered 400)."""


def _time(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise BadQuery(f"{name} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def query_of(params: Mapping[str, Any], pseudonyms: frozenset[str] = frozenset()) -> Query:
    """The query that request parameters (query string or JSON body) describe."""
    unknown = set(params) - {*_FIELDS, "person_number"}
    if unknown:
        raise BadQuery(f"unknown parameters: {', '.join(sorted(unknown))}")
    source = params.get("source") or None
    if source is not None and source not in FORMATS:
        raise BadQuery(f"source must be one of {', '.join(FORMATS)}")
    status = params.get("status") or None
    try:
        parsed_status = MessageStatus(status) if status else None
    except ValueError as exc:
        raise BadQuery(f"status must be one of {', '.join(s.value for s in MessageStatus)}") from exc
    pseudonym = params.get("pseudonym")
    query = Query(
        message_id=params.get("message_id") or None,
        pseudonyms=pseudonyms | ({str(pseudonym)} if pseudonym else set()),
        since=_time(params.get("since"), "since"),
        until=_time(params.get("until"), "until"),
        source=source,
        status=parsed_status,
    )
    if query.empty:
        raise BadQuery(f"give at least one of {', '.join(_FIELDS)} (or person_number)")
    return query


def messages_app(
    settings: HubSettings, finder: MessageFinder, authenticator: Authenticator
) -> web.Application:
    """The API's aiohttp application."""
    pseudonymiser = Pseudonymiser.from_settings(settings.pseudonym)
    key_ids = list(settings.pseudonym.keys)

    def caller_of(request: web.Request, principal: Principal | None, request_id: str) -> Caller:
        return Caller(principal.client if principal else "anonymous", request_id, request.remote)

    async def answer(request: web.Request, params: Mapping[str, Any]) -> web.Response:
        given = request.headers.get("X-Request-Id") or ""
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        headers = {"X-Request-Id": request_id}
        try:
            principal = authenticator.authenticate(request.method, str(request.url), request.headers)
        except AuthError as exc:
            finder.refuse(caller_of(request, None, request_id), "messages", exc.reason)
            headers["WWW-Authenticate"] = 'DPoP algs="RS256 PS256 ES256", Bearer'
            error = "authentication required" if exc.status == 401 else "forbidden"
            return web.json_response({"error": error}, status=exc.status, headers=headers)
        caller = caller_of(request, principal, request_id)
        try:
            pseudonyms: frozenset[str] = frozenset()
            if params.get("person_number"):
                pseudonyms = patient_pseudonyms(str(params["person_number"]), pseudonymiser, key_ids)
            query = query_of(params, pseudonyms)
        except (BadQuery, IdentityError) as exc:
            reason = "not a valid person number" if isinstance(exc, IdentityError) else str(exc)
            finder.refuse(caller, "messages", reason)
            return web.json_response({"error": reason}, status=400, headers=headers)
        found = await asyncio.to_thread(finder.find, query, caller)
        return web.json_response({"messages": [j.to_dict() for j in found]}, headers=headers)

    async def get_messages(request: web.Request) -> web.Response:
        if "person_number" in request.query:
            return web.json_response(
                {"error": "send person_number in a POST body, never in a URL"}, status=400
            )
        return await answer(request, dict(request.query))

    async def post_search(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": "the body must be a JSON object"}, status=400)
        return await answer(request, body)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(
            body=(STATIC / "messages.html").read_bytes(), content_type="text/html", headers=_PAGE
        )

    async def script(_request: web.Request) -> web.Response:
        body = (STATIC / "messages.js").read_bytes()
        return web.Response(body=body, content_type="application/javascript", headers=_PAGE)

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/static/messages.js", script)
    app.router.add_get("/api/messages", get_messages)
    app.router.add_post("/api/messages/search", post_search)
    return app
