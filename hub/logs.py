"""Structured logging (structlog): JSON in production, console locally, with a redaction processor.

Per-message context (topic, partition, offset, message id) is bound with ``structlog.contextvars`` by the
shells. :func:`redact_event_dict` is a pure processor that masks anything that looks like a person number —
in nested values too — and drops keys that must never be logged, as a last line of defence.

Every entry point calls :func:`configure_logging`. Exceptions are formatted into the event *before*
redaction, so a traceback quoting a person number is masked too, and the standard library's loggers (faust,
aiokafka, aiohttp, confluent-kafka) go through the same processors (``structlog.stdlib.ProcessorFormatter``
on the root handler): one format, one redaction.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

PERSON_NUMBER_RE = re.compile(r"(?<!\d)\d{6}[ -]?\d{5}(?!\d)")
FORBIDDEN_KEYS = frozenset(
    {"fnr", "fodselsnummer", "fødselsnummer", "dnr", "name", "address", "payload", "raw"}
)
MASK = "[redacted]"
_MAX_DEPTH = 8


def _mask(value: Any, depth: int = 0) -> Any:
    """``value`` with person-number-like runs masked, into mappings and sequences (bounded depth)."""
    if isinstance(value, str):
        masked: Any = PERSON_NUMBER_RE.sub(MASK, value)
    elif isinstance(value, bytes | bytearray | memoryview):
        masked = f"<{len(value)} bytes>"
    elif value is None or isinstance(value, bool | int | float):
        masked = value
    elif depth >= _MAX_DEPTH:
        masked = MASK
    elif isinstance(value, Mapping):
        masked = {
            _mask(str(k), depth + 1): MASK if str(k).lower() in FORBIDDEN_KEYS else _mask(v, depth + 1)
            for k, v in value.items()
        }
    elif isinstance(value, list | tuple | set | frozenset):
        masked = [_mask(v, depth + 1) for v in value]
    elif isinstance(value, BaseException):
        masked = PERSON_NUMBER_RE.sub(MASK, f"{type(value).__name__}: {value}")
    else:
        text = repr(value)
        masked = PERSON_NUMBER_RE.sub(MASK, text) if PERSON_NUMBER_RE.search(text) else value
    return masked


def redact_event_dict(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask person-number-like digit runs in every value (nested too) and drop forbidden keys."""
    for key in list(event_dict):
        if key.startswith("_"):  # structlog's own bookkeeping (``_record``, ``_from_structlog``)
            continue
        if key.lower() in FORBIDDEN_KEYS:
            event_dict[key] = MASK
        else:
            event_dict[key] = _mask(event_dict[key])
    return event_dict


def processors(fmt: str) -> tuple[list[Any], list[Any]]:
    """(pre-chain for every record, final chain): exceptions formatted, then redacted, then rendered."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    pre: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    final: list[Any] = [
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact_event_dict,
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        renderer,
    ]
    return pre, final


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure structlog and the standard library logging once, at the entry point."""
    pre, final = processors(fmt)
    numeric = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*pre, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=pre, processors=final, pass_foreign_args=False)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
