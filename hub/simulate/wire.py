"""The region through the wire, offline: rendered messages mapped back by the connectors' own formats.

This is the loopback the differential test ("truth through the wire") and ``hub simulate --out`` use: the same
messages the simulator sends over MLLP and HTTP are given to each protocol's pure format module, received at
their send time, exactly as the connector servers would call it. No network, no Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from agents.rejections import join_rejections
from connectors.ambulance.format import FORMAT as AMBULANCE
from connectors.formats import MappingContext, MessageFormat
from connectors.hl7v2.format import FORMAT as HL7
from connectors.kpr.format import FORMAT as KPR
from connectors.plo.format import FORMAT as PLO
from hub.errors import InputError
from hub.events import Event
from hub.identity import Pseudonymiser
from hub.simulate.message import Outgoing, Protocol

FORMATS: dict[Protocol, MessageFormat] = {
    Protocol.HL7: HL7,
    Protocol.PLO: PLO,
    Protocol.AMBULANCE: AMBULANCE,
    Protocol.KPR: KPR,
}
"""The connector format behind each simulated protocol."""

EXTENSIONS: dict[Protocol, str] = {
    Protocol.HL7: "hl7",
    Protocol.PLO: "xml",
    Protocol.AMBULANCE: "json",
    Protocol.KPR: "csv",
}
"""File extension of each protocol's messages (``hub simulate --out``)."""


@dataclass(slots=True)
class Loopback:
    """What the formats made of the messages: events in arrival order, and the messages they refused."""

    events: list[Event] = field(default_factory=list)
    refused: list[tuple[Outgoing, str]] = field(default_factory=list)


def through_formats(messages: Iterable[Outgoing], pseudonymiser: Pseudonymiser) -> Loopback:
    """Map each message with its protocol's format, received at its send time.

    AppRec rejections name no patient: they go through the worker's own join
    (:func:`agents.rejections.join_rejections`), so a rejection comes out with its patient as it does live.
    """
    result = Loopback()
    mapped: list[Event] = []
    for message in messages:
        ctx = MappingContext(pseudonymiser=pseudonymiser, received_at=message.at)
        try:
            mapped.extend(FORMATS[message.protocol].accept(message.payload, ctx).events)
        except InputError as exc:
            result.refused.append((message, str(exc)))
    result.events = list(join_rejections(mapped))
    return result


def file_names(messages: Iterable[Outgoing]) -> Iterator[tuple[str, Outgoing]]:
    """``(file name, message)`` in send order: ``000001-ADT_A01.hl7`` …"""
    for number, message in enumerate(messages, start=1):
        kind = "".join(c if c.isalnum() else "_" for c in message.kind).strip("_")
        yield f"{number:06d}-{kind}.{EXTENSIONS[message.protocol]}", message
