"""A message's journey through the hub: raw record → canonical events → avvik and pathway it touched.

Pure: :func:`journeys` takes records already read and decoded (each with its ``topic:partition:offset``
link) and a :class:`Query`; :mod:`hub.ops.message_search` reads them from Kafka. A message is found by its
id, by patient (pseudonyms: a person number is turned into its pseudonym under every configured key by the
caller, audited), by time received, by source and by status:

* ``mapped``: on a raw topic, mapped to canonical events;
* ``unmapped``: on a raw topic, valid but mapped to none (``RawMessage.unmapped`` says why);
* ``accepted``: on a raw topic (either of the above, or not recorded);
* ``dead-lettered``: refused, on the dead-letter topic only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from hub.events import Event
from hub.events.outputs import AvvikRecord, PathwayStateRecord
from hub.events.transport import DeadLetterRecord, RawMessage

M = TypeVar("M", bound=BaseModel)


class MessageStatus(StrEnum):
    """What became of a source message."""

    ACCEPTED = "accepted"
    MAPPED = "mapped"
    UNMAPPED = "unmapped"
    DEAD_LETTERED = "dead-lettered"


@dataclass(frozen=True, slots=True)
class Located(Generic[M]):
    """A record and where it is (``topic:partition:offset``)."""

    link: str
    record: M
    trace_id: str | None = None
    """The W3C trace id in the record's ``traceparent`` header, when it has one."""


@dataclass(frozen=True, slots=True)
class Query:
    """What to find; every given criterion must hold."""

    message_id: str | None = None
    pseudonyms: frozenset[str] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    status: MessageStatus | None = None

    @property
    def empty(self) -> bool:
        """True when nothing narrows the search."""
        return not (
            self.message_id or self.pseudonyms or self.since or self.until or self.source or self.status
        )


@dataclass(frozen=True, slots=True)
class Journey:
    """One source message and everything it led to."""

    message_id: str
    source: str
    status: MessageStatus
    received_at: datetime
    raw: Located[RawMessage] | None = None
    dead_letters: tuple[Located[DeadLetterRecord], ...] = ()
    events: tuple[Located[Event], ...] = ()
    avvik: tuple[Located[AvvikRecord], ...] = ()
    pathways: tuple[Located[PathwayStateRecord], ...] = ()

    @property
    def pseudonyms(self) -> frozenset[str]:
        """Patients the message concerned (from its events)."""
        return frozenset(e.record.patient.pseudonym for e in self.events if e.record.patient is not None)

    def to_dict(self) -> dict[str, Any]:
        """The journey as JSON-able data (payloads left out: they are the redacted source message)."""

        def links(items: Iterable[Located[Any]], **fields: Any) -> list[dict[str, Any]]:
            return [
                {"link": i.link, "trace_id": i.trace_id, **{k: f(i.record) for k, f in fields.items()}}
                for i in items
            ]

        raw = None
        if self.raw is not None:
            r = self.raw.record
            raw = {
                "link": self.raw.link,
                "trace_id": self.raw.trace_id,
                "format": r.format,
                "system": r.system,
                "message_type": r.message_type,
                "event_types": r.event_types,
                "unmapped": r.unmapped,
                "reprocessed_from": r.reprocessed_from,
            }
        return {
            "message_id": self.message_id,
            "source": self.source,
            "status": self.status.value,
            "received_at": self.received_at.isoformat(),
            "raw": raw,
            "dead_letters": links(self.dead_letters, code=lambda r: r.code, reason=lambda r: r.reason),
            "events": links(
                self.events,
                event_id=lambda r: r.event_id,
                event_type=lambda r: r.event_type.value,
                occurred_at=lambda r: r.occurred_at.isoformat(),
                pseudonym=lambda r: r.patient.pseudonym if r.patient else None,
            ),
            "avvik": links(
                self.avvik,
                avvik_id=lambda r: r.avvik_id,
                code=lambda r: r.code,
                status=lambda r: r.status.value,
            ),
            "pathways": links(
                self.pathways,
                pseudonym=lambda r: r.pseudonym,
                pathway_id=lambda r: r.pathway_id,
                status=lambda r: r.status,
                phase=lambda r: r.phase,
            ),
        }


def _status(raw: RawMessage) -> MessageStatus:
    if raw.event_types is None:
        return MessageStatus.ACCEPTED
    return MessageStatus.MAPPED if raw.event_types else MessageStatus.UNMAPPED


def _status_matches(found: MessageStatus, wanted: MessageStatus | None) -> bool:
    if wanted is None or found is wanted:
        return True
    return wanted is MessageStatus.ACCEPTED and found is not MessageStatus.DEAD_LETTERED


@dataclass
class _Draft:
    message_id: str
    source: str
    received_at: datetime
    raw: Located[RawMessage] | None = None
    dead_letters: list[Located[DeadLetterRecord]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Records:
    """What was read from the topics, in topic order per partition."""

    raws: Sequence[Located[RawMessage]] = ()
    letters: Sequence[Located[DeadLetterRecord]] = ()
    events: Sequence[Located[Event]] = ()
    avvik: Sequence[Located[AvvikRecord]] = ()
    states: Sequence[Located[PathwayStateRecord]] = ()


def journeys(query: Query, records: Records) -> list[Journey]:
    """The journeys of the messages ``query`` selects, oldest first."""
    events, avvik, states = records.events, records.avvik, records.states
    events_by_message: dict[tuple[str, str], list[Located[Event]]] = defaultdict(list)
    patient_messages: set[tuple[str, str]] = set()
    for event in events:
        key = (event.record.source.kind.value, event.record.source.message_id)
        events_by_message[key].append(event)
        patient = event.record.patient
        if patient is not None and patient.pseudonym in query.pseudonyms:
            patient_messages.add(key)

    drafts: dict[tuple[str, str], _Draft] = {}  # by (format, message id)
    for raw in records.raws:
        r = raw.record
        draft = drafts.setdefault((r.format, r.message_id), _Draft(r.message_id, r.format, r.received_at))
        if draft.raw is None or draft.raw.record.received_at <= r.received_at:
            draft.raw = raw  # a re-send or a reprocessed copy: the newest one
    for letter in records.letters:
        d = letter.record
        message_id = d.message_id or f"sha256:{d.payload_sha256}"
        draft = drafts.setdefault((d.source, message_id), _Draft(message_id, d.source, d.received_at))
        draft.dead_letters.append(letter)

    found: list[Journey] = []
    for draft in drafts.values():
        status = _status(draft.raw.record) if draft.raw is not None else MessageStatus.DEAD_LETTERED
        key = (draft.raw.record.source_kind.value, draft.message_id) if draft.raw is not None else ("", "")
        if not _selected(query, key, draft, status, patient_messages):
            continue
        own = tuple(events_by_message.get(key, ()))
        ids = {e.record.event_id for e in own}
        patients = {e.record.patient.pseudonym for e in own if e.record.patient is not None}
        found.append(
            Journey(
                message_id=draft.message_id,
                source=draft.source,
                status=status,
                received_at=draft.received_at,
                raw=draft.raw,
                dead_letters=tuple(draft.dead_letters),
                events=own,
                avvik=_latest(
                    (a for a in avvik if ids & set(a.record.evidence_event_ids)), lambda r: r.avvik_id
                ),
                pathways=_latest(
                    (s for s in states if s.record.pseudonym in patients), lambda r: r.pseudonym
                ),
            )
        )
    return sorted(found, key=lambda j: (j.received_at, j.message_id))


def _selected(
    query: Query,
    key: tuple[str, str],
    draft: _Draft,
    status: MessageStatus,
    patient_messages: set[tuple[str, str]],
) -> bool:
    if query.pseudonyms:
        payload = draft.raw.record.payload if draft.raw is not None else b""
        tokens = any(p.encode() in payload for p in query.pseudonyms)  # unmapped messages name them too
        if key not in patient_messages and not tokens:
            return False
    return (
        (query.message_id is None or draft.message_id == query.message_id)
        and (query.source is None or draft.source == query.source)
        and (query.since is None or draft.received_at >= query.since)
        and (query.until is None or draft.received_at < query.until)
        and _status_matches(status, query.status)
    )


def _latest(items: Iterable[Located[M]], key: Any) -> tuple[Located[M], ...]:
    """The last record per key (compacted topics: the current value), in topic order."""
    latest: dict[str, Located[M]] = {}
    for item in items:
        latest[key(item.record)] = item
    return tuple(latest.values())
