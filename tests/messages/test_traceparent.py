"""W3C traceparent: parsing per the specification, children keep the trace id, Kafka headers round-trip."""

from __future__ import annotations

import itertools

from hub.ops.traceparent import (
    TraceParent,
    continue_or_start,
    from_headers,
    kafka_headers,
    new_trace,
    parse,
)

EXAMPLE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_the_specification_example_parses_and_prints_back() -> None:
    """The spec's example header is read field by field and written back unchanged."""
    trace = parse(EXAMPLE)
    assert trace == TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1)
    assert trace.header == EXAMPLE
    assert trace.sampled
    assert parse(EXAMPLE.encode()) == trace


def test_invalid_values_are_ignored() -> None:
    """Wrong lengths, upper case, all-zero ids, version ff, extra fields in version 00: no trace parent."""
    for bad in [
        None,
        "",
        "garbage",
        EXAMPLE.upper(),
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        EXAMPLE + "-extra",
        EXAMPLE[:-1],
    ]:
        assert parse(bad) is None, bad
    assert (
        parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future") is not None
    )  # later versions


def test_a_child_keeps_the_trace_and_changes_the_parent() -> None:
    """Continuing a trace keeps its id and sampled flag; without a valid parent a new trace starts."""
    counter = itertools.count(1)

    def random(size: int) -> bytes:
        return bytes([next(counter) % 256]) * size

    child = continue_or_start(EXAMPLE, random)
    assert child.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert child.parent_id != "00f067aa0ba902b7"
    assert child.flags == 1
    fresh = continue_or_start("nonsense", random)
    assert fresh.trace_id != child.trace_id
    assert parse(fresh.header) == fresh
    assert new_trace(lambda n: b"\x00" * (n - 1) + b"\x01", sampled=False).header.endswith("-00")


def test_kafka_headers_round_trip() -> None:
    """A trace written as Kafka headers is found again among other headers."""
    trace = new_trace()
    headers = [("content-type", b"avro"), *kafka_headers(trace)]
    assert from_headers(headers) == trace
    assert from_headers([("traceparent", b"broken")]) is None
    assert from_headers(None) is None
