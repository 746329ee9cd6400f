"""Dead-letter core without a broker: counts, references, the reprocess plan (no loops) and one attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import connectors.hl7v2.adt as adt_mapping
from connectors.registry import get_format
from hub.events import EventType
from hub.events.transport import DeadLetterRecord
from hub.identity import Pseudonymiser
from hub.identity.sealing import Sealer, sha256_hex
from hub.ops.dlq import Reprocessor, Status, StoredLetter, counts, find
from tests.connectors.hl7v2.hl7_samples import FNR, adt

KEYS = {"k1": b"0123456789abcdef-test"}
SEALER = Sealer(KEYS, "k1")
AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _letter(
    offset: int,
    payload: bytes = b"x",
    *,
    source: str = "hl7v2",
    stage: str = "connector",
    code: str = "unsupported_event",
    message_id: str | None = "M1",
) -> StoredLetter:
    record = DeadLetterRecord(
        source=source,
        stage=stage,
        code=code,
        reason="ADT trigger 'A05' is not mapped",
        received_at=AT,
        message_id=message_id,
        payload_sha256=sha256_hex(payload),
        sealed_payload=SEALER.seal(payload),
        key_id="k1",
    )
    return StoredLetter(f"samhandling.dlq:0:{offset}", record)


def _reprocessor(max_attempts: int = 3, sealer: Sealer = SEALER) -> Reprocessor:
    return Reprocessor(
        sealer,
        Pseudonymiser(KEYS, "k1", accept_tokens=False),
        get_format,
        {"hl7v2": "samhandling.raw.hl7v2"},
        max_attempts=max_attempts,
        redacted_pseudonymiser=Pseudonymiser(KEYS, "k1"),
    )


def test_counts_by_source_and_code_most_frequent_first() -> None:
    """List shows how many letters each (source, reason code) has, the largest first."""
    letters = [
        _letter(0, code="parse"),
        _letter(1, code="unsupported_event", message_id="M2"),
        _letter(2, code="unsupported_event", message_id="M3"),
        _letter(3, source="plo", code="validation"),
    ]
    assert counts(letters) == [
        ("hl7v2", "unsupported_event", 2),
        ("hl7v2", "parse", 1),
        ("plo", "validation", 1),
    ]


def test_find_accepts_link_partition_offset_or_offset() -> None:
    """A letter can be named by its link, partition:offset, or offset; an unknown one is a LookupError."""
    letters = [_letter(0), _letter(7, message_id="M7")]
    assert find(letters, "samhandling.dlq:0:7").record.message_id == "M7"
    assert find(letters, "0:7").record.message_id == "M7"
    assert find(letters, "7").record.message_id == "M7"
    with pytest.raises(LookupError):
        find(letters, "8")


def test_plan_skips_what_must_not_be_reprocessed() -> None:
    """Only the newest letter of a message, not yet reprocessed, from a source stage, under max attempts."""
    old, new = _letter(0, message_id="A"), _letter(1, message_id="A")
    done = _letter(2, message_id="B")
    pathway = _letter(3, source="events", stage="pathway", message_id=None)
    tried = [_letter(4 + i, message_id="C") for i in range(3)]
    letters = [old, new, done, pathway, *tried]
    attempts = {done.link: 1, tried[0].link: 1, tried[1].link: 1}
    todo, skipped = _reprocessor(max_attempts=2).plan(letters, letters, attempts)
    assert [t.link for t in todo] == [new.link]
    why = {o.letter.link: o.detail for o in skipped}
    assert "newer dead letter" in why[old.link]
    assert "already reprocessed" in why[done.link]
    assert "holds no source message" in why[pathway.link]
    assert "2 attempts already (max 2)" in why[tried[2].link]
    todo, _ = _reprocessor(max_attempts=3).plan(letters, [tried[2]], attempts)
    assert [t.link for t in todo] == [tried[2].link]


def test_attempt_still_fails_then_passes_after_the_mapping_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unmapped trigger still fails; after the mapping fix the redacted raw record links the letter."""
    letter = _letter(5, adt("A05", control_id="DLQ-A05"), message_id="DLQ-A05")
    failed = _reprocessor().attempt(letter, dry_run=False)
    assert failed.status is Status.STILL_FAILS
    assert "unsupported_event" in failed.detail
    monkeypatch.setitem(adt_mapping.EVENT_FOR_TRIGGER, "A05", EventType.ADMITTED)
    passed = _reprocessor().attempt(letter, dry_run=False)
    assert passed.status is Status.REPROCESSED
    assert passed.topic == "samhandling.raw.hl7v2"
    assert passed.raw is not None
    assert passed.raw.reprocessed_from == letter.link
    assert passed.raw.received_at == AT
    assert passed.raw.event_types == ["ADMITTED"]
    assert FNR.encode() not in passed.raw.payload
    assert _reprocessor().attempt(letter, dry_run=True).status is Status.WOULD_REPROCESS


def test_attempt_without_the_key_is_skipped() -> None:
    """A letter sealed with a key this hub does not hold cannot be opened, so it is not reprocessed."""
    other = Sealer({"k2": b"another-secret-of-16-bytes"}, "k2")
    outcome = _reprocessor(sealer=other).attempt(_letter(0, adt("A05")), dry_run=False)
    assert outcome.status is Status.SKIPPED
    assert "k1" in outcome.detail


def test_a_token_in_place_of_a_person_number_stays_refused() -> None:
    """Like a connector, reprocessing refuses an original with a PSN1 token where a person number belongs;
    a normalise-stage letter (the redacted copy, tokens by design) maps."""
    token = Pseudonymiser(KEYS, "k1").person(FNR).token
    payload = adt("A01", control_id="TOKEN-1", number=token)
    connector = _reprocessor().attempt(_letter(0, payload, message_id="TOKEN-1"), dry_run=True)
    assert connector.status is Status.STILL_FAILS
    normalise = _letter(1, payload, stage="normalise", code="internal", message_id="TOKEN-1")
    assert _reprocessor().attempt(normalise, dry_run=True).status is Status.WOULD_REPROCESS
