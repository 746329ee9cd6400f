"""HTTP endpoint for municipal extracts: ``POST /kpr/extract``, ``application/xml`` (IPLOS) or ``text/csv``.

Answers:

* 202 ``{"status": "accepted"|"duplicate", "message_id", "events"}`` — the extract is in the raw topic;
* 422 ``{"status": "rejected", "code", "error", "location"}`` — the extract breaks its schema or a rule (the
  location names the line / element of the first bad record); it is in the dead-letter topic whole;
* 400 — the same for a body that is not well-formed XML / CSV;
* 415 — a content type other than XML or CSV (nothing is read);
* 503 — Kafka did not confirm the write (``Retry-After`` set); send the extract again.
"""

from __future__ import annotations

from typing import Final

import structlog
from aiohttp import web

from connectors.common.ingest import Ingestor
from connectors.kpr.format import FORMAT, MAX_BYTES
from hub.errors import DeliveryError

log = structlog.get_logger(__name__)

PATH: Final = "/kpr/extract"
CONTENT_TYPES: Final = frozenset({"application/xml", "text/xml", "text/csv"})
INGESTOR_KEY: Final = web.AppKey("ingestor", Ingestor)


async def post_extract(request: web.Request) -> web.Response:
    """Accept one IPLOS XML extract or one KPR CSV file."""
    if request.content_type not in CONTENT_TYPES:
        return web.json_response(
            {
                "status": "rejected",
                "code": "content_type",
                "error": f"send one of {', '.join(sorted(CONTENT_TYPES))}",
            },
            status=415,
        )
    body = await request.read()
    try:
        result = await request.app[INGESTOR_KEY].ingest(body)
    except DeliveryError as exc:
        log.warning("kpr extract not acknowledged", error=str(exc))
        return web.json_response(
            {"status": "unavailable", "error": "Kafka did not confirm the write; send again"},
            status=503,
            headers={"Retry-After": "5"},
        )
    if result.accepted is not None:
        return web.json_response(
            {
                "status": "duplicate" if result.duplicate else "accepted",
                "message_id": result.accepted.message_id,
                "events": len(result.accepted.events),
            },
            status=202,
        )
    error = result.error
    code = error.code if error else "invalid"
    return web.json_response(
        {
            "status": "rejected",
            "code": code,
            "error": str(error),
            "location": error.location if error else None,
        },
        status=400 if code == "parse" else 422,
    )


async def healthz(_request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "ok", "format": FORMAT.name})


def build_app(ingestor: Ingestor) -> web.Application:
    """The aiohttp application serving the KPR endpoint."""
    app = web.Application(client_max_size=MAX_BYTES)
    app[INGESTOR_KEY] = ingestor
    app.router.add_post(PATH, post_extract)
    app.router.add_get("/healthz", healthz)
    return app
