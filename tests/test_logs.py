"""Tests of log redaction."""

from __future__ import annotations

from hub.logs import MASK, redact_event_dict


def test_person_numbers_are_masked_in_any_string() -> None:
    """An 11-digit run (with or without separator) in a log value is masked."""
    out = redact_event_dict(None, "info", {"event": "bad id 15108695088 in PID-3", "detail": "151086 95088"})
    assert "15108695088" not in out["event"]
    assert out["event"] == f"bad id {MASK} in PID-3"
    assert out["detail"] == MASK


def test_forbidden_keys_and_bytes_are_never_logged() -> None:
    """Keys such as fnr, name and payload are masked and bytes are reduced to their length."""
    out = redact_event_dict(None, "info", {"fnr": "x", "name": "Kari", "other": b"abc", "count": 3})
    assert out == {"fnr": MASK, "name": MASK, "other": "<3 bytes>", "count": 3}


def test_other_numbers_are_kept() -> None:
    """Short numbers and offsets are not masked."""
    out = redact_event_dict(None, "info", {"event": "offset 1234567 partition 3"})
    assert out["event"] == "offset 1234567 partition 3"
