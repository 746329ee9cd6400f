"""Structured logging (structlog): JSON in production, console locally, with a redaction processor.

Per-message context (topic, partition, offset, message id) is bound with ``structlog.contextvars`` by the
shells. :func:`redact_event_dict` is a pure processor that masks anything that looks like a person number and
drops keys that must never be logged, as a last line of defence.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

PERSON_NUMBER_RE = re.compile(r"(?<!\d)\d{6}[ -]?\d{5}(?!\d)")
FORBIDDEN_KEYS = frozenset(
    {"fnr", "fodselsnummer", "fødselsnummer", "dnr", "name", "address", "payload", "raw"}
)
MASK = "[redacted]"


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return PERSON_NUMBER_RE.sub(MASK, value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def redact_event_dict(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask person-number-like digit runs in every string value and drop forbidden keys."""
    for key in list(event_dict):
        if key.lower() in FORBIDDEN_KEYS:
            event_dict[key] = MASK
        else:
            event_dict[key] = _mask(event_dict[key])
    return event_dict


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure structlog and the standard library logging once, at the entry point."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event_dict,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
