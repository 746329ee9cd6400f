"""W3C Trace Context (``traceparent``) for Kafka record headers: parse, make, continue.

A connector takes the ``traceparent`` of the incoming HTTP request (or makes a new one) and puts a child of it
in the header ``traceparent`` of the records it writes; every stage that writes a record because of another
continues the trace with :meth:`TraceParent.child` (same trace id, new parent id), so a message's records on
raw, events, avvik and state topics share one trace id. Invalid headers are ignored, as the specification
says (a new trace starts), never an error. Only the format of
https://www.w3.org/TR/trace-context/#traceparent-header is handled; ``tracestate`` is not.
"""

from __future__ import annotations

import random as _random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

HEADER = "traceparent"
_FORMAT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")
SAMPLED = 0x01


_ids: Callable[[int], bytes] = _random.randbytes
"""Trace and span ids: W3C Trace Context asks them random and unique, not secret, so the Mersenne Twister
(seeded from the OS, reseeded in a forked child) as OpenTelemetry's RandomIdGenerator uses it; os.urandom
is a system call per id, 2.5 % of a replay's time."""


@dataclass(frozen=True, slots=True)
class TraceParent:
    """One ``traceparent`` value (version 00)."""

    trace_id: str
    parent_id: str
    flags: int = SAMPLED

    @property
    def header(self) -> str:
        """The header value, e.g. ``00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01``."""
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags:02x}"

    @property
    def sampled(self) -> bool:
        """The caller's sampled flag."""
        return bool(self.flags & SAMPLED)

    def child(self, random: Callable[[int], bytes] = _ids) -> TraceParent:
        """The same trace with a new parent (span) id: what a stage writes on the records it produces."""
        return TraceParent(self.trace_id, _nonzero(random, 8), self.flags)


def _nonzero(random: Callable[[int], bytes], size: int) -> str:
    while True:
        value = random(size).hex()
        if value.strip("0"):
            return value


def new_trace(random: Callable[[int], bytes] = _ids, *, sampled: bool = True) -> TraceParent:
    """A new trace (random trace and parent ids)."""
    return TraceParent(_nonzero(random, 16), _nonzero(random, 8), SAMPLED if sampled else 0)


def parse(value: str | bytes | None) -> TraceParent | None:
    """The trace parent in a header value; None when absent or invalid (then a new trace starts)."""
    if value is None:
        return None
    text = value.decode("ascii", errors="replace") if isinstance(value, bytes) else value
    match = _FORMAT.match(text.strip())
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if not trace_id.strip("0") or not parent_id.strip("0"):
        return None
    return TraceParent(trace_id, parent_id, int(flags, 16))


def continue_or_start(value: str | bytes | None, random: Callable[[int], bytes] = _ids) -> TraceParent:
    """A child of the incoming trace parent, or a new trace when there is none (or it is invalid)."""
    incoming = parse(value)
    return incoming.child(random) if incoming is not None else new_trace(random)


HeaderValue = bytes | str | None
IncomingHeaders = Iterable[tuple[str, HeaderValue]] | Mapping[str, HeaderValue] | None
"""Record headers as consumers hand them over: confluent-kafka's list of pairs (or None), faust's mapping."""


def from_headers(headers: IncomingHeaders) -> TraceParent | None:
    """The trace parent among Kafka record headers (the first valid ``traceparent``)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs or []:
        if name.lower() == HEADER:
            found = parse(value)
            if found is not None:
                return found
    return None


KafkaHeaders = list[tuple[str, str | bytes | None]]
"""Record headers as confluent-kafka's ``produce`` takes them."""


def kafka_headers(trace: TraceParent) -> KafkaHeaders:
    """Kafka record headers carrying ``trace``."""
    return [(HEADER, trace.header.encode("ascii"))]


def derived_headers(incoming: IncomingHeaders, random: Callable[[int], bytes] = _ids) -> KafkaHeaders:
    """The headers for the records a stage derives from one it consumed (``incoming``: that record's headers).

    The result carries the incoming trace id with a new span (parent) id: the deriving stage is a child span
    of the span that wrote the incoming record. An incoming record without a valid ``traceparent`` starts a
    new trace (never an error, never the invalid value copied). Pure but for ``random``. Call it once per
    consumed record and put the same headers on every record derived from it (events, avvik, state): they
    are one step. Only ``traceparent`` is returned; other incoming headers are not carried over.
    """
    incoming_trace = from_headers(incoming)
    trace = incoming_trace.child(random) if incoming_trace is not None else new_trace(random)
    return kafka_headers(trace)
