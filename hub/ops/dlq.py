"""Dead letters for operators: count them, open one (with the key, audited), reprocess them after a fix.

A dead letter is named by where it is, ``<dlq topic>:<partition>:<offset>`` (its *link*). Reprocessing opens
the sealed original, runs today's format on it (parse, validate, map, redact; the letter's ``received_at``
is kept, so the events get the ids they would have had) and, when it passes, gives the raw record to write
to the format's raw topic with ``reprocessed_from`` = the link. The normaliser then treats it like any raw
record.

Nothing loops: the dead letters of one message (same source and message id, or without an id the same
payload hash) form a *case*; each raw record written from one of them is an attempt. A case is reprocessed
only from its newest letter, not again once that letter was reprocessed (a later failure makes a new
letter), and never after ``max_attempts`` attempts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from connectors.formats import MappingContext, MessageFormat, raw_record
from hub.errors import HubError, IdentityError, InputError, SerdeError
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.masking import find_person_numbers, mask_digits, mask_person_numbers
from hub.identity.sealing import Sealer
from hub.ops.topic_reader import StoredRecord
from hub.serde import Codec

REPROCESSABLE_STAGES = frozenset({"connector", "normalise"})
"""Stages whose sealed payload is a source message (pathway letters hold canonical events)."""


@dataclass(frozen=True, slots=True)
class StoredLetter:
    """A dead letter and where it is on the topic."""

    link: str
    record: DeadLetterRecord

    @property
    def case(self) -> tuple[str, str]:
        """The message this letter is about: (source, message id), else ("sha256", payload hash)."""
        if self.record.message_id:
            return self.record.source, self.record.message_id
        return "sha256", self.record.payload_sha256


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A record on the dead-letter topic that is not a dead letter this hub can read."""

    link: str
    reason: str


def decode_letters(
    records: Iterable[StoredRecord], codec: Codec[DeadLetterRecord]
) -> tuple[list[StoredLetter], list[Undecodable]]:
    """The dead letters among ``records`` (topic order), and what could not be decoded."""
    letters: list[StoredLetter] = []
    bad: list[Undecodable] = []
    for stored in records:
        if stored.value is None:
            continue
        try:
            letters.append(StoredLetter(stored.link, codec.decode(stored.value)))
        except SerdeError as exc:
            bad.append(Undecodable(stored.link, str(exc)))
    return letters, bad


def counts(letters: Iterable[StoredLetter]) -> list[tuple[str, str, int]]:
    """(source, code, count), most frequent first."""
    tally = Counter((letter.record.source, letter.record.code) for letter in letters)
    return [(source, code, n) for (source, code), n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]


def find(letters: Sequence[StoredLetter], ref: str) -> StoredLetter:
    """The letter named by ``ref``: its link, ``partition:offset`` or (one partition) ``offset``."""
    for letter in letters:
        _topic, partition, offset = letter.link.rsplit(":", 2)
        if ref in (letter.link, f"{partition}:{offset}") or (ref == offset and ":" not in ref):
            return letter
    raise LookupError(f"no dead letter {ref!r}")


def open_payload(letter: StoredLetter, sealer: Sealer) -> bytes:
    """The original bytes; :class:`IdentityError` without the key (or with a wrong one)."""
    return sealer.open_sealed(letter.record.sealed_payload, letter.record.key_id)


class Status(StrEnum):
    """What reprocessing did (or, in a dry run, would do) with a letter."""

    REPROCESSED = "reprocessed"
    WOULD_REPROCESS = "would reprocess"
    STILL_FAILS = "still fails"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One letter's reprocessing: status, why, and the raw record to write when it passes."""

    letter: StoredLetter
    status: Status
    detail: str
    topic: str | None = None
    raw: RawMessage | None = None


class Reprocessor:
    """Runs today's formats on sealed originals."""

    def __init__(
        self,
        sealer: Sealer,
        pseudonymiser: Pseudonymiser,
        formats: Callable[[str], MessageFormat],
        raw_topics: Mapping[str, str],
        *,
        max_attempts: int = 3,
        redacted_pseudonymiser: Pseudonymiser | None = None,
    ) -> None:
        """``pseudonymiser`` maps originals a connector refused, so like a connector's it should refuse
        tokens (``accept_tokens=False``); ``redacted_pseudonymiser`` maps the redacted payloads of
        normalise-stage letters, which hold tokens (default: ``pseudonymiser``)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._sealer = sealer
        self._pseudonymiser = pseudonymiser
        self._redacted_pseudonymiser = redacted_pseudonymiser or pseudonymiser
        self._formats = formats
        self._raw_topics = raw_topics
        self.max_attempts = max_attempts

    def plan(
        self, letters: Sequence[StoredLetter], chosen: Sequence[StoredLetter], attempts: Mapping[str, int]
    ) -> tuple[list[StoredLetter], list[Outcome]]:
        """Which of ``chosen`` to try, and why the others are skipped.

        ``letters`` is the whole dead-letter topic (for the cases), ``attempts`` counts raw records by their
        ``reprocessed_from`` link.
        """
        newest: dict[tuple[str, str], StoredLetter] = {}
        tried: Counter[tuple[str, str]] = Counter()
        for letter in letters:
            newest[letter.case] = letter
            tried[letter.case] += attempts.get(letter.link, 0)
        todo: list[StoredLetter] = []
        skipped: list[Outcome] = []
        for letter in chosen:
            latest = newest.get(letter.case, letter)
            reason = None
            if (
                letter.record.stage not in REPROCESSABLE_STAGES
                or letter.record.source not in self._raw_topics
            ):
                reason = (
                    f"stage {letter.record.stage} / source {letter.record.source} holds no source message"
                )
            elif latest.link != letter.link:
                reason = f"a newer dead letter of the same message is {latest.link}"
            elif attempts.get(letter.link, 0):
                reason = "already reprocessed (no newer dead letter since)"
            elif tried[letter.case] >= self.max_attempts:
                reason = f"{tried[letter.case]} attempts already (max {self.max_attempts})"
            if reason is None:
                todo.append(letter)
            else:
                skipped.append(Outcome(letter, Status.SKIPPED, reason))
        return todo, skipped

    def attempt(self, letter: StoredLetter, *, dry_run: bool) -> Outcome:
        """Open the letter and run its format; the raw record to write when it now passes."""
        record = letter.record
        try:
            payload = open_payload(letter, self._sealer)
        except IdentityError as exc:
            return Outcome(letter, Status.SKIPPED, str(exc))
        if not payload:
            return Outcome(letter, Status.SKIPPED, "the original was too large to keep in the dead letter")
        fmt = self._formats(record.source)
        pseudonymiser = self._pseudonymiser if record.stage == "connector" else self._redacted_pseudonymiser
        ctx = MappingContext(pseudonymiser=pseudonymiser, received_at=record.received_at)
        try:
            accepted = fmt.accept(payload, ctx)
        except InputError as exc:
            return Outcome(letter, Status.STILL_FAILS, f"{exc.code}: {mask_digits(exc.reason)}")
        except HubError as exc:
            return Outcome(letter, Status.STILL_FAILS, f"error: {mask_digits(str(exc))}")
        for name in ("message_id", "system", "sender", "receiver"):  # the connector's rule: never a key
            value = getattr(accepted, name, None)
            if isinstance(value, str) and find_person_numbers(value):
                return Outcome(letter, Status.STILL_FAILS, f"person_number: the {name} holds a person number")
        redacted, _masked = mask_person_numbers(accepted.redacted)  # as the connector does
        raw = raw_record(
            fmt, accepted, received_at=record.received_at, payload=redacted, reprocessed_from=letter.link
        )
        status = Status.WOULD_REPROCESS if dry_run else Status.REPROCESSED
        events = ", ".join(raw.event_types or []) or "no events"
        return Outcome(letter, status, f"passes now: {events}", self._raw_topics[record.source], raw)


def attempts_by_link(records: Iterable[StoredRecord], codec: Codec[RawMessage]) -> Counter[str]:
    """Raw records written by reprocessing, counted by the dead letter they came from."""
    found: Counter[str] = Counter()
    for stored in records:
        if stored.value is None:
            continue
        try:
            raw = codec.decode(stored.value)
        except SerdeError:
            continue
        if raw.reprocessed_from:
            found[raw.reprocessed_from] += 1
    return found
