"""``hub messages find``: a message's journey (raw → events → avvik and pathway), by id, patient, time,
source or status; ``hub messages serve``: the same as an authenticated HTTP API. Every search is audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hub.ops.journeys import Journey

STATUSES = ("accepted", "mapped", "unmapped", "dead-lettered")


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@click.group()
def messages() -> None:
    """Find source messages and where they went."""


@messages.command()
@click.option("--id", "message_id", default=None, help="The source's message id (MSH-10, MsgId, ...).")
@click.option(
    "--patient", is_flag=True, help="Ask for a person number (not echoed); its pseudonym is searched."
)
@click.option("--pseudonym", default=None, help="A patient pseudonym, when it is known already.")
@click.option("--since", default=None, help="Received at or after (ISO 8601; UTC if no offset).")
@click.option("--until", default=None, help="Received before (ISO 8601).")
@click.option("--source", type=click.Choice(["hl7v2", "fhir", "plo", "ambulance", "kpr"]), default=None)
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one journey per line.")
def find(
    *,
    message_id: str | None,
    patient: bool,
    pseudonym: str | None,
    since: str | None,
    until: str | None,
    source: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """Messages matching every criterion given, each with its journey (audited)."""
    from hub.errors import IdentityError
    from hub.identity import Pseudonymiser
    from hub.ops.audited import cli_actor, cli_audit, request_id
    from hub.ops.journeys import MessageStatus, Query
    from hub.ops.message_search import Caller, MessageFinder, patient_pseudonyms
    from hub.ops.topic_reader import KafkaRecordSource
    from hub.settings import load_settings

    settings = load_settings()
    audit, flush = cli_audit(settings)
    caller = Caller(cli_actor(), request_id())
    finder = MessageFinder(settings, KafkaRecordSource(settings), audit)
    pseudonyms = frozenset({pseudonym} if pseudonym else set())
    if patient:
        number = click.prompt("Person number", hide_input=True, err=True).strip()
        try:
            pseudonyms |= patient_pseudonyms(
                number, Pseudonymiser.from_settings(settings.pseudonym), settings.pseudonym.keys
            )
        except IdentityError as exc:
            finder.refuse(caller, "messages?patient", "not a valid person number")
            flush()
            raise click.ClickException(f"not a valid person number: {exc}") from exc
    query = Query(
        message_id=message_id,
        pseudonyms=pseudonyms,
        since=_when(since),
        until=_when(until),
        source=source,
        status=MessageStatus(status) if status else None,
    )
    if query.empty:
        raise click.UsageError(
            "give at least one of --id, --patient, --pseudonym, --since, --until, --source, --status"
        )
    found = finder.find(query, caller)
    flush()
    for journey in found:
        click.echo(json.dumps(journey.to_dict(), ensure_ascii=False) if as_json else _text(journey))
    if not as_json:
        click.echo(f"{len(found)} message(s)")


def _text(journey: Journey) -> str:
    lines = [
        f"{journey.message_id}  {journey.source}  {journey.status.value}  "
        f"received {journey.received_at.isoformat(timespec='seconds')}"
    ]
    if journey.raw is not None:
        r = journey.raw.record
        mapped = ", ".join(r.event_types or []) or (r.unmapped or "no events")
        again = f"  (reprocessed from {r.reprocessed_from})" if r.reprocessed_from else ""
        trace = f"  trace {journey.raw.trace_id}" if journey.raw.trace_id else ""
        lines.append(f"  raw      {journey.raw.link}  {r.message_type or '-'}  → {mapped}{again}{trace}")
    lines += [f"  dead     {d.link}  {d.record.code}: {d.record.reason}" for d in journey.dead_letters]
    for e in journey.events:
        who = e.record.patient.pseudonym if e.record.patient else "-"
        at = e.record.occurred_at.isoformat(timespec="seconds")
        lines.append(f"  event    {e.link}  {e.record.event_type.value}  {at}  patient {who}")
    lines += [
        f"  avvik    {a.link}  {a.record.code} {a.record.status.value}  {a.record.avvik_id}"
        for a in journey.avvik
    ]
    for s in journey.pathways:
        p = s.record
        lines.append(
            f"  pathway  {s.link}  {p.pseudonym}  {p.status} {p.phase}  pathway {p.pathway_id or '-'}"
        )
    return "\n".join(lines)


@messages.command()
@click.option("--host", default=None, help="Listen address (default HUB_WEB__HOST).")
@click.option("--port", default=8094, show_default=True, help="Listen port.")
def serve(host: str | None, port: int) -> None:
    """The message search as an HTTP API: GET /api/messages, POST /api/messages/search (authenticated)."""
    import asyncio

    from aiohttp import web

    from hub.auth import RequestAuthenticator
    from hub.ops.audited import cli_audit
    from hub.ops.message_search import MessageFinder
    from hub.ops.messages_api import messages_app
    from hub.ops.topic_reader import KafkaRecordSource
    from hub.settings import load_settings

    settings = load_settings()
    audit, flush = cli_audit(settings)
    app = messages_app(
        settings, MessageFinder(settings, KafkaRecordSource(settings), audit), RequestAuthenticator(settings)
    )
    try:
        web.run_app(
            app, host=host or settings.web.host, port=port, print=click.echo, loop=asyncio.new_event_loop()
        )
    finally:
        flush()
