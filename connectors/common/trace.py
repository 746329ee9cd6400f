"""The W3C trace context a connector puts on the raw records it writes (Kafka header ``traceparent``).

An HTTP connector's app (through :func:`connectors.common.auth.protect`, which every HTTP connector's CLI
uses) gets :func:`traced`: its middleware keeps the request's ``traceparent`` header for the ingest that the
request's handler runs. The ingest (:class:`connectors.common.ingest.Ingestor`) calls :func:`record_trace`
once per message: a child of that header when it is valid (same trace id, a new span id for the connector),
else a new trace. MLLP, file drops and the CLIs have no request header, so each message starts a new trace;
an invalid header is never copied (it starts a new trace too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from aiohttp import web

from hub.ops.traceparent import HEADER, TraceParent, continue_or_start

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
INCOMING: ContextVar[str | None] = ContextVar("incoming_traceparent", default=None)
"""The ``traceparent`` header of the HTTP request being handled (None outside one, or when it has none)."""


@web.middleware
async def keep_traceparent(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Keep the request's ``traceparent`` header for the ingest its handler runs."""
    token = INCOMING.set(request.headers.get(HEADER))
    try:
        return await handler(request)
    finally:
        INCOMING.reset(token)


def traced(app: web.Application) -> web.Application:
    """Add :func:`keep_traceparent` to ``app`` (once); return ``app``."""
    if keep_traceparent not in app.middlewares:
        app.middlewares.append(keep_traceparent)
    return app


def record_trace(incoming: str | bytes | None = None) -> TraceParent:
    """The trace of one message's raw record: a child of ``incoming`` (default: the current request's
    ``traceparent``) when valid, else a new trace."""
    return continue_or_start(incoming if incoming is not None else INCOMING.get())
