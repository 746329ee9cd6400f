"""``derived_headers``: what a stage puts on the records it derives from a consumed record."""

from __future__ import annotations

from hub.ops.traceparent import HEADER, derived_headers, from_headers, parse

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_derived_record_continues_the_trace_as_a_child_span() -> None:
    """Same trace id and flags, a new span id (the incoming span is its parent), one header."""
    headers = derived_headers([("other", b"x"), (HEADER, INCOMING.encode())], lambda n: b"\x07" * n)
    assert headers == [(HEADER, b"00-4bf92f3577b34da6a3ce929d0e0e4736-0707070707070707-01")]
    derived = from_headers(headers)
    assert derived is not None
    assert derived.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert derived.parent_id != "00f067aa0ba902b7"


def test_mappings_and_unsampled_flags_are_kept() -> None:
    """faust hands headers over as a mapping; the caller's sampled flag is kept."""
    unsampled = INCOMING[:-2] + "00"
    derived = from_headers(derived_headers({HEADER: unsampled}))
    assert derived is not None
    assert (derived.trace_id, derived.sampled) == ("4bf92f3577b34da6a3ce929d0e0e4736", False)


def test_no_or_an_invalid_incoming_header_starts_a_new_trace() -> None:
    """No headers, None, or an invalid ``traceparent``: a new valid trace, never the invalid value."""
    bad = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"
    for incoming in (None, [], [(HEADER, bad.encode())], {HEADER: None}):
        [(name, value)] = derived_headers(incoming)
        trace = parse(value)
        assert name == HEADER
        assert trace is not None
        assert trace.trace_id != bad[3:35].lower()


def test_each_call_is_a_new_span() -> None:
    """Two consumed records of one trace give two spans of that trace (one call per consumed record)."""
    first, second = (from_headers(derived_headers([(HEADER, INCOMING)])) for _ in range(2))
    assert first is not None
    assert second is not None
    assert first.trace_id == second.trace_id
    assert first.parent_id != second.parent_id
