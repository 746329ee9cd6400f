"""Find messages on the hub's topics and their journeys (``hub messages find`` and the HTTP API).

Reads the raw topics and the dead-letter topic from ``since`` (all of them without it), the canonical events
from the same time, and the compacted avvik and pathway-state topics whole; :mod:`hub.ops.journeys` does the
rest. It scans: fine for an operator's look-up on a hub's retention, not for a search box under load (an
index topic is future work).

A patient is named by person number: :func:`patient_pseudonyms` validates it and computes its pseudonym
under every configured key (old records keep the key that made them), and :class:`MessageFinder` writes an
audit entry for every search before it answers: who, what was searched (pseudonyms, never the number),
the outcome, the request id.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from pydantic import BaseModel

from hub.errors import SerdeError
from hub.events import Event
from hub.events.outputs import AvvikRecord, PathwayStateRecord
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.identity.numbers import parse_person_number
from hub.ops.audited import Auditor
from hub.ops.journeys import Journey, Located, Query, Records, journeys
from hub.ops.topic_reader import RecordSource, StoredRecord
from hub.ops.traceparent import from_headers
from hub.serde import TopicCodec, codec_for
from hub.settings import HubSettings

M = TypeVar("M", bound=BaseModel)
SLACK = timedelta(minutes=5)
"""Records are written a little after the message was received: read the topics from ``since`` − this."""


def patient_pseudonyms(number: str, pseudonymiser: Pseudonymiser, key_ids: Iterable[str]) -> frozenset[str]:
    """The pseudonyms of a person number under each key; :class:`IdentityError` when it is not valid."""
    parsed = parse_person_number(number, allow_synthetic=pseudonymiser.allow_synthetic)
    return frozenset(pseudonymiser.pseudonym_of(parsed.number, key_id=k) for k in key_ids)


def _decode(records: Iterable[StoredRecord], codec: TopicCodec[M]) -> Iterator[Located[M]]:
    for stored in records:
        if stored.value is None:
            continue
        try:
            trace = from_headers(stored.headers)
            yield Located(stored.link, codec.decode(stored.value), trace.trace_id if trace else None)
        except SerdeError:
            continue  # not this hub's record (the dead-letter tools report those)


FORMATS = ("hl7v2", "fhir", "plo", "ambulance", "kpr")


def raw_topics(settings: HubSettings) -> dict[str, str]:
    """Format name → its raw topic."""
    return {name: str(getattr(settings.topics, f"raw_{name}")) for name in FORMATS}


def read_records(settings: HubSettings, source: RecordSource, query: Query) -> Records:
    """Everything the query may need, decoded."""
    since = query.since - SLACK if query.since is not None else None
    t = settings.topics
    codecs: list[TopicCodec[BaseModel]] = []

    def codec(model: type[M], topic: str) -> TopicCodec[M]:
        made = codec_for(settings, model, topic)
        codecs.append(made)  # type: ignore[arg-type]
        return made

    try:
        raws = [
            item
            for name, topic in raw_topics(settings).items()
            if query.source is None or name == query.source
            for item in _decode(source.read(topic, since=since), codec(RawMessage, topic))
        ]
        return Records(
            raws=raws,
            letters=list(_decode(source.read(t.dlq, since=since), codec(DeadLetterRecord, t.dlq))),
            events=list(_decode(source.read(t.events, since=since), codec(Event, t.events))),
            avvik=list(_decode(source.read(t.avvik), codec(AvvikRecord, t.avvik))),
            states=list(_decode(source.read(t.pathway_state), codec(PathwayStateRecord, t.pathway_state))),
        )
    finally:
        for made in codecs:
            made.close()


@dataclass(frozen=True, slots=True)
class Caller:
    """Who searches, from where, under which request id (for the audit entry)."""

    actor: str
    request_id: str
    peer: str | None = None


def describe(query: Query) -> str:
    """The query as the audit entry's resource (pseudonyms, never a person number)."""
    parts = [
        f"message_id={query.message_id}" if query.message_id else "",
        "patient=" + ",".join(sorted(query.pseudonyms)) if query.pseudonyms else "",
        f"since={query.since.isoformat()}" if query.since else "",
        f"until={query.until.isoformat()}" if query.until else "",
        f"source={query.source}" if query.source else "",
        f"status={query.status.value}" if query.status else "",
    ]
    return "messages?" + "&".join(p for p in parts if p)


class MessageFinder:
    """Searches the topics and audits every search."""

    def __init__(self, settings: HubSettings, source: RecordSource, audit: Auditor) -> None:
        self._settings = settings
        self._source = source
        self._audit = audit

    def refuse(self, caller: Caller, what: str, reason: str) -> None:
        """Audit a search refused before it ran (bad person number, no criteria)."""
        self._audit.record(
            actor=caller.actor,
            action="messages.find",
            resource=what,
            outcome=f"refused: {reason}",
            peer=caller.peer,
            request_id=caller.request_id,
        )

    def find(self, query: Query, caller: Caller) -> list[Journey]:
        """The journeys the query selects; the search is audited before the answer is returned."""
        found = journeys(query, read_records(self._settings, self._source, query))
        self._audit.record(
            actor=caller.actor,
            action="messages.find",
            resource=describe(query),
            outcome=f"answered: {len(found)} message(s)",
            peer=caller.peer,
            request_id=caller.request_id,
        )
        return found
