"""The message-flow report: what the connectors received, per message type, standard, sender and receiver.

Input is the raw topics' records (:class:`RawMessage`: every accepted message, with its type, standard,
parties, send time and the canonical event types it mapped to) and the dead-letter records
(:class:`DeadLetterRecord`: every refused message, by source and reason). A message re-sent after a restart
appears twice on its raw topic and is counted once (last record per format, system and message id).
Organisations are labelled from master data as on Prometheus (helseforetak id or kommunenummer; unknown
``other``), so the report answers the same questions ("do our kommuner get the innleggelsesrapport?") for any
period. Delays are GenDate to receipt.

Dialogue (from canonical events, when given): questions asked (DIALOGUE_QUESTION_SENT), how many were answered
(a DIALOGUE_ANSWER_SENT whose ``in_reply_to`` names the question's message id) and the median time to answer.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO
from zoneinfo import ZoneInfo

from hub.events import Dialogue, Event, EventType
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.observability.metrics import OTHER

__all__ = [
    "DialogueStats",
    "FlowReport",
    "FlowRow",
    "build_flow_report",
    "dialogue_stats",
    "render_flow_markdown",
    "write_flow_csv",
]

OSLO = ZoneInfo("Europe/Oslo")


@dataclass
class FlowRow:
    """Accepted messages of one message type, standard, sender and receiver organisation."""

    message_type: str
    standard: str
    sender: str
    receiver: str
    accepted: int = 0
    mapped: int = 0
    unmapped: int = 0
    delays: list[float] = field(default_factory=list)

    @property
    def median_delay_s(self) -> float | None:
        """Median seconds from GenDate to receipt (None without send times)."""
        return statistics.median(self.delays) if self.delays else None

    @property
    def max_delay_s(self) -> float | None:
        """Largest seconds from GenDate to receipt."""
        return max(self.delays) if self.delays else None


@dataclass(frozen=True, slots=True)
class DialogueStats:
    """Questions asked in the period, how many got an answer, and the answer times (seconds)."""

    questions: int
    answered: int
    answer_seconds: tuple[float, ...]

    @property
    def median_answer_s(self) -> float | None:
        """Median time from question to answer."""
        return statistics.median(self.answer_seconds) if self.answer_seconds else None


def dialogue_stats(events: Iterable[Event], *, start: date | None, end: date | None) -> DialogueStats:
    """Questions sent in the period (Oslo days) and their answers (at any later time)."""
    questions: dict[str, Event] = {}
    answers: dict[str, Event] = {}
    for event in events:
        if not isinstance(event.body, Dialogue):
            continue
        if event.event_type is EventType.DIALOGUE_QUESTION_SENT:
            if _in_period(event.occurred_at.astimezone(OSLO).date(), start, end):
                questions[event.source.message_id] = event
        elif event.event_type is EventType.DIALOGUE_ANSWER_SENT and event.body.in_reply_to:
            first = answers.get(event.body.in_reply_to)
            if first is None or event.occurred_at < first.occurred_at:
                answers[event.body.in_reply_to] = event
    times = tuple(
        max((answers[q].occurred_at - question.occurred_at).total_seconds(), 0.0)
        for q, question in questions.items()
        if q in answers
    )
    return DialogueStats(len(questions), len(times), times)


@dataclass(frozen=True, slots=True)
class FlowReport:
    """The flow of one period: accepted per type and parties, refused per source and reason, dialogue."""

    start: date | None
    end: date | None
    rows: list[FlowRow]
    refused: dict[tuple[str, str], int]
    dialogue: DialogueStats | None = None

    @property
    def accepted(self) -> int:
        """Messages accepted in the period."""
        return sum(r.accepted for r in self.rows)

    @property
    def refused_total(self) -> int:
        """Messages refused in the period."""
        return sum(self.refused.values())


def _in_period(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _oslo_day(record: RawMessage | DeadLetterRecord) -> date:
    return record.received_at.astimezone(OSLO).date()


def build_flow_report(
    raw: Iterable[RawMessage],
    dead: Iterable[DeadLetterRecord],
    *,
    organisations: Mapping[str, str],
    start: date | None = None,
    end: date | None = None,
    events: Iterable[Event] | None = None,
) -> FlowReport:
    """The flow report of the records received from ``start`` to ``end`` (Oslo days, both inclusive)."""
    latest: dict[tuple[str, str, str], RawMessage] = {}
    for record in raw:
        if _in_period(_oslo_day(record), start, end):
            latest[(record.format, record.system, record.message_id)] = record
    rows: dict[tuple[str, str, str, str], FlowRow] = {}
    for record in latest.values():
        key = (
            record.message_type or OTHER,
            record.standard or OTHER,
            organisations.get(record.sender or "", OTHER),
            organisations.get(record.receiver or "", OTHER),
        )
        row = rows.setdefault(key, FlowRow(*key))
        row.accepted += 1
        if record.event_types:
            row.mapped += 1
        elif record.event_types is not None:
            row.unmapped += 1
        if record.sent_at is not None:
            row.delays.append(max((record.received_at - record.sent_at).total_seconds(), 0.0))
    refused: dict[tuple[str, str], int] = {}
    for letter in dead:
        if letter.stage == "connector" and _in_period(_oslo_day(letter), start, end):
            refused[(letter.source, letter.code)] = refused.get((letter.source, letter.code), 0) + 1
    ordered = sorted(rows.values(), key=lambda r: (r.message_type, r.standard, r.sender, r.receiver))
    dialogue = dialogue_stats(events, start=start, end=end) if events is not None else None
    return FlowReport(start, end, ordered, dict(sorted(refused.items())), dialogue)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def render_flow_markdown(report: FlowReport) -> str:
    """The report as Markdown."""
    period = f"{report.start or '…'} – {report.end or '…'}"
    lines = [
        f"# Message flow {period}",
        "",
        f"{report.accepted} messages accepted, {report.refused_total} refused.",
        "",
        "| Message type | Standard | Sender | Receiver | Accepted | Mapped | No events | Median delay "
        "| Max delay |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in report.rows:
        lines.append(
            f"| {r.message_type} | {r.standard} | {r.sender} | {r.receiver} | {r.accepted} | {r.mapped} | "
            f"{r.unmapped} | {_duration(r.median_delay_s)} | {_duration(r.max_delay_s)} |"
        )
    lines += ["", "## Refused", ""]
    if report.refused:
        lines += ["| Source | Reason | Messages |", "|---|---|---:|"]
        lines += [f"| {source} | {code} | {count} |" for (source, code), count in report.refused.items()]
    else:
        lines.append("None.")
    if report.dialogue is not None:
        d = report.dialogue
        lines += [
            "",
            "## Dialogue (forespørsel / svar)",
            "",
            "| Questions | Answered | Median time to answer |",
            "|---:|---:|---:|",
            f"| {d.questions} | {d.answered} | {_duration(d.median_answer_s)} |",
        ]
    return "\n".join(lines) + "\n"


def write_flow_csv(report: FlowReport, out: TextIO) -> None:
    """One CSV row per message type, standard, sender and receiver (delays in seconds)."""
    writer = csv.writer(out)
    writer.writerow(
        ["message_type", "standard", "sender", "receiver", "accepted", "mapped", "unmapped", "median_delay_s"]
    )
    for r in report.rows:
        median = "" if r.median_delay_s is None else f"{r.median_delay_s:.0f}"
        writer.writerow(
            [r.message_type, r.standard, r.sender, r.receiver, r.accepted, r.mapped, r.unmapped, median]
        )
