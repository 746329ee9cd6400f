"""Join AppRec rejections to the patient of the rejected message (no faust import; the agent calls this).

AppRec names only the rejected message id. The pathway agent publishes a link (message id → pseudonym) for
every message an AppRec may reject, and forwards rejections without a patient; both land on one internal
topic keyed by message id, so this join sees them in one partition in either order. A completed rejection is
re-emitted to the events topic with the patient filled in. Links are kept (about 100 bytes per message).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from agents.engines import KeyValueTable
from hub.domain.facts import REJECTABLE
from hub.events import Event, Patient, Rejection
from hub.events.internal import MessageLink, RejectionJoin


class RejectionJoiner:
    """State and logic of the join, over a key/value table keyed by message id."""

    def __init__(self, table: KeyValueTable) -> None:
        self.table = table

    def apply(self, message_id: str, item: RejectionJoin) -> list[Event]:
        """Fold one side in; return rejections that now know their patient."""
        key = message_id.encode()
        raw = self.table.get(key)
        doc: dict[str, object] = orjson.loads(raw) if raw else {"link": None, "pending": []}
        pending = list(doc["pending"]) if isinstance(doc["pending"], list) else []
        if item.link is not None:
            doc["link"] = item.link.patient.model_dump(mode="json")
        if item.rejection is not None:
            pending.append(item.rejection)
        link = doc["link"]
        ready: list[Event] = []
        if isinstance(link, dict) and pending:
            patient = Patient.model_validate(link)
            for text in pending:
                event = Event.model_validate_json(text)
                ready.append(event.model_copy(update={"patient": patient}))
            pending = []
        doc["pending"] = pending
        self.table[key] = orjson.dumps(doc)
        return ready


def link_for(event: Event) -> MessageLink | None:
    """The link a patient event leaves for later rejections of its source message."""
    if event.patient is None:
        return None
    return MessageLink(message_id=event.source.message_id, patient=event.patient)


class _DictTable(dict[bytes, bytes]):
    """A dict as the key/value table the join folds into (offline runs)."""


def join_rejections(events: Iterable[Event]) -> Iterator[Event]:
    """The worker's join over a stream in arrival order, offline (``hub evaluate``, the simulator loopback):
    rejections that name no patient come out once the message they reject has been seen, with its patient."""
    joiner = RejectionJoiner(_DictTable())
    for event in events:
        if isinstance(event.body, Rejection) and event.patient is None:
            side = RejectionJoin(rejection=event.model_dump_json())
            yield from joiner.apply(event.body.rejected_message_id, side)
            continue
        yield event
        if event.event_type in REJECTABLE and (link := link_for(event)) is not None:
            yield from joiner.apply(link.message_id, RejectionJoin(link=link))
