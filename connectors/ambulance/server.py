"""HTTP endpoint for AMK feeds: ``POST /ambulance/events`` with one mission event or a JSON array of them.

Answers (body: ``{"results": [...]}``, one entry per message in order):

* 202 — every message accepted (written to the raw topic and acknowledged by Kafka) or a known duplicate;
* 422 — at least one message was rejected: its entry has ``status: rejected`` and ``errors`` (pydantic error
  locations and messages); the others' entries say whether they were accepted. Rejected messages are in the
  dead-letter topic. Re-sending the whole batch is safe: accepted message ids are recognised as duplicates;
* 400 — the body is not JSON, or not an object / non-empty array (the body is dead-lettered);
* 503 — Kafka did not confirm a write (``Retry-After`` set); send the batch again.
"""

from __future__ import annotations

import json
from typing import Any, Final

import pydantic
import structlog
from aiohttp import web

from connectors.ambulance.format import FORMAT, format_pydantic_errors
from connectors.ambulance.model import MissionEvent
from connectors.common.ingest import Ingestor, IngestResult
from connectors.common.limits import HTTP_MAX_BODY
from hub.errors import DeliveryError, InputError, ParseError

log = structlog.get_logger(__name__)

PATH: Final = "/ambulance/events"
MAX_BATCH: Final = 1000
MAX_BODY: Final = HTTP_MAX_BODY
INGESTOR_KEY: Final = web.AppKey("ingestor", Ingestor)


def _error_list(payload: bytes, error: InputError) -> list[dict[str, str]]:
    """Error entries: pydantic locations when the schema was broken, else the error's own location."""
    if error.code == "validation":
        try:
            MissionEvent.model_validate_json(payload)
        except pydantic.ValidationError as exc:
            return format_pydantic_errors(exc)
        except ValueError:
            pass
    return [{"loc": error.location or "(root)", "msg": str(error)}]


def _result(index: int, payload: bytes, result: IngestResult) -> dict[str, Any]:
    if result.accepted is not None:
        return {
            "index": index,
            "message_id": result.accepted.message_id,
            "status": "duplicate" if result.duplicate else "accepted",
            "events": len(result.accepted.events),
        }
    error = result.error
    if error is None:  # pragma: no cover - an IngestResult holds either accepted or error
        raise RuntimeError("ingest result with neither accepted nor error")
    return {"index": index, "status": "rejected", "code": error.code, "errors": _error_list(payload, error)}


async def post_events(request: web.Request) -> web.Response:
    """Accept one mission event or an array of them."""
    ingestor = request.app[INGESTOR_KEY]
    body = await request.read()
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad JSON or a huge int
        data = None
    if isinstance(data, dict):
        items = [body]
    elif isinstance(data, list) and 0 < len(data) <= MAX_BATCH:
        items = [json.dumps(item, ensure_ascii=False).encode() for item in data]
    else:
        error = ParseError(f"the body must be one JSON object or an array of 1-{MAX_BATCH} objects")
        try:
            await ingestor.dead_letter(body, error)
        except DeliveryError:
            return _unavailable()
        return web.json_response({"error": error.reason, "code": error.code}, status=400)
    results: list[dict[str, Any]] = []
    try:
        for index, item in enumerate(items):
            results.append(_result(index, item, await ingestor.ingest(item)))
    except DeliveryError as exc:
        log.warning("ambulance batch not acknowledged", error=str(exc), done=len(results))
        return _unavailable()
    rejected = sum(1 for r in results if r["status"] == "rejected")
    return web.json_response({"results": results, "rejected": rejected}, status=422 if rejected else 202)


def _unavailable() -> web.Response:
    return web.json_response(
        {"error": "Kafka did not confirm the write; send again", "code": "unavailable"},
        status=503,
        headers={"Retry-After": "5"},
    )


async def healthz(_request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "ok", "format": FORMAT.name})


def build_app(ingestor: Ingestor) -> web.Application:
    """The aiohttp application serving the ambulance endpoint."""
    app = web.Application(client_max_size=MAX_BODY)
    app[INGESTOR_KEY] = ingestor
    app.router.add_post(PATH, post_events)
    app.router.add_get("/healthz", healthz)
    return app
