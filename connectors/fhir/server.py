"""The FHIR HTTP endpoint (aiohttp): ``POST /fhir/Encounter`` and ``POST /fhir`` (Bundle).

=======================================  ==========================================================
Outcome                                  Answer
=======================================  ==========================================================
Encounter accepted (raw record in Kafka)  201 + OperationOutcome (information)
transaction Bundle accepted              200 + transaction-response Bundle (201 Created per entry)
message Bundle accepted                  202 + OperationOutcome (information)
not JSON / not FHIR                      400 + OperationOutcome (structure)
invalid or unmappable content            422 + OperationOutcome (code, diagnostics, expression)
wrong resource for the endpoint          400 + OperationOutcome (not dead-lettered: a routing error)
wrong Content-Type                       415 + OperationOutcome
body too large                           413 + OperationOutcome
Kafka did not confirm the write          503 + OperationOutcome (transient) + Retry-After
=======================================  ==========================================================

Rejected documents (400 structure / 422) are dead-lettered by the Ingestor with the reason.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import structlog
from aiohttp import web

from connectors.common.ingest import IngestResult
from connectors.fhir.outcome import operation_outcome, outcome_for, status_for, transaction_response
from connectors.formats import Accepted
from hub.errors import DeliveryError

log = structlog.get_logger(__name__)
FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = frozenset({FHIR_JSON, "application/json"})
DEFAULT_MAX_BODY = 1024 * 1024


class IngestPort(Protocol):
    """What the endpoint needs from the ingest pipeline (:class:`connectors.common.ingest.Ingestor`)."""

    async def ingest(self, payload: bytes, *, system: str | None = None) -> IngestResult:
        """Accept (raw topic) or reject (DLQ) one document; raise DeliveryError if Kafka fails."""
        ...


INGESTOR = web.AppKey("ingestor", IngestPort)
MAX_BODY = web.AppKey("max_body", int)


def _fhir(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        status=status,
        content_type=FHIR_JSON,
        charset="utf-8",
        headers=headers,
    )


def _error(status: int, code: str, diagnostics: str, expression: str | None = None) -> web.Response:
    return _fhir(operation_outcome("error", code, diagnostics, expression), status)


async def _read(request: web.Request) -> bytes | web.Response:
    if request.content_type not in ACCEPTED_TYPES:
        return _error(415, "not-supported", f"Content-Type must be {FHIR_JSON}, not {request.content_type!r}")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "too-costly", f"body larger than {request.app[MAX_BODY]} bytes")


def _resource_type(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the ingest reports the parse error (and dead-letters it)
    kind = data.get("resourceType") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


async def _ingest(request: web.Request, body: bytes) -> IngestResult | web.Response:
    try:
        return await request.app[INGESTOR].ingest(body)
    except DeliveryError as exc:
        log.warning("fhir delivery failed; answering 503", error=str(exc))
        response = _error(503, "transient", "temporary failure storing the document; retry later")
        response.headers["Retry-After"] = "5"
        return response


async def _ingest_resource(request: web.Request, expected: str) -> tuple[bytes, Accepted] | web.Response:
    """Read, check the resource type and ingest: the body and what was accepted, or the response to send."""
    body = await _read(request)
    if isinstance(body, web.Response):
        return body
    kind = _resource_type(body)
    if kind is not None and kind != expected:
        return _error(400, "invalid", f"this endpoint takes a {expected}, not {kind[:40]!r}", "resourceType")
    result = await _ingest(request, body)
    if isinstance(result, web.Response):
        return result
    if result.accepted is None:
        return _rejected(result)
    return body, result.accepted


def _accepted_text(accepted: Accepted) -> str:
    return f"accepted as {accepted.message_id}; {len(accepted.events)} event(s)"


async def post_encounter(request: web.Request) -> web.Response:
    """``POST /fhir/Encounter``: one Encounter with a contained (or identifier-referenced) Patient."""
    outcome = await _ingest_resource(request, "Encounter")
    if isinstance(outcome, web.Response):
        return outcome
    _, accepted = outcome
    return _fhir(operation_outcome("information", "informational", _accepted_text(accepted)), 201)


async def post_bundle(request: web.Request) -> web.Response:
    """``POST /fhir``: a transaction or message Bundle with Patient and Encounter entries."""
    outcome = await _ingest_resource(request, "Bundle")
    if isinstance(outcome, web.Response):
        return outcome
    body, accepted = outcome
    data = json.loads(body)
    if data.get("type") == "transaction":
        return _fhir(transaction_response(list(data.get("entry") or [])), 200)
    return _fhir(operation_outcome("information", "informational", _accepted_text(accepted)), 202)


def _rejected(result: IngestResult) -> web.Response:
    if result.error is None:
        return _error(500, "exception", "document neither accepted nor rejected")
    return _fhir(outcome_for(result.error), status_for(result.error))


def build_app(ingestor: IngestPort, *, max_body: int = DEFAULT_MAX_BODY) -> web.Application:
    """The aiohttp application."""
    app = web.Application(client_max_size=max_body)
    app[INGESTOR] = ingestor
    app[MAX_BODY] = max_body
    app.router.add_post("/fhir/Encounter", post_encounter)
    app.router.add_post("/fhir", post_bundle)
    return app
