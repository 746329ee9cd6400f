"""``hub dlq list|show|reprocess``: the dead-letter topic for operators (see :mod:`hub.ops.dlq`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from collections.abc import Mapping

    from confluent_kafka import Producer

    from hub.events.transport import RawMessage
    from hub.ops.dlq import Outcome, StoredLetter
    from hub.serde import TopicCodec
    from hub.settings import HubSettings


def _letters(settings: HubSettings) -> list[StoredLetter]:
    from hub.events.transport import DeadLetterRecord
    from hub.ops.dlq import decode_letters
    from hub.ops.topic_reader import KafkaRecordSource
    from hub.serde import codec_for

    codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    try:
        letters, bad = decode_letters(KafkaRecordSource(settings).read(settings.topics.dlq), codec)
    finally:
        codec.close()
    for item in bad:
        click.echo(f"undecodable record {item.link}: {item.reason}", err=True)
    return letters


def _line(letter: StoredLetter) -> str:
    r = letter.record
    when = r.received_at.isoformat(timespec="seconds")
    reason = r.reason if len(r.reason) <= 100 else r.reason[:99] + "…"
    return f"{letter.link}  {when}  {r.source}/{r.stage}  {r.code}  {r.message_id or '-'}  {reason}"


@click.group()
def dlq() -> None:
    """Dead letters: counts, one letter (unsealed only with the key, audited), reprocessing after a fix."""


@dlq.command("list")
@click.option("--source", default=None, help="Only this source (hl7v2, fhir, plo, ambulance, kpr, ...).")
@click.option(
    "--code", default=None, help="Only this reason code (parse, validation, unsupported_event, ...)."
)
@click.option("--limit", default=20, show_default=True, help="Newest letters to list (0: counts only).")
def list_(source: str | None, code: str | None, limit: int) -> None:
    """Counts by source and reason code, then the newest letters (no payload: nothing is unsealed)."""
    from hub.ops.dlq import counts
    from hub.settings import load_settings

    settings = load_settings()
    letters = [
        letter
        for letter in _letters(settings)
        if (source is None or letter.record.source == source) and (code is None or letter.record.code == code)
    ]
    click.echo(f"{len(letters)} dead letters on {settings.topics.dlq}")
    for src, reason_code, n in counts(letters):
        click.echo(f"{n:8d}  {src:10s}  {reason_code}")
    if limit > 0 and letters:
        click.echo("")
        for letter in letters[-limit:]:
            click.echo(_line(letter))


@dlq.command()
@click.argument("ref")
@click.option("--unseal", is_flag=True, help="Open the sealed original with the pseudonym key (audited).")
def show(ref: str, unseal: bool) -> None:
    """One dead letter by REF (its link topic:partition:offset, partition:offset, or offset)."""
    from hub.errors import IdentityError
    from hub.identity.sealing import Sealer
    from hub.ops.audited import cli_actor, cli_audit, request_id
    from hub.ops.dlq import find, open_payload
    from hub.settings import load_settings

    settings = load_settings()
    try:
        letter = find(_letters(settings), ref)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    r = letter.record
    for name, value in (
        ("link", letter.link),
        ("received", r.received_at.isoformat()),
        ("source", r.source),
        ("stage", r.stage),
        ("code", r.code),
        ("reason", r.reason),
        ("message id", r.message_id or "-"),
        ("payload sha256", r.payload_sha256),
        ("sealed with key", r.key_id),
    ):
        click.echo(f"{name:16s}{value}")
    if not unseal:
        click.echo("payload         sealed (use --unseal; the opening is audited)")
        return
    audit, flush = cli_audit(settings)
    where = {"actor": cli_actor(), "action": "dlq.show", "resource": letter.link, "request_id": request_id()}
    try:
        payload = open_payload(letter, Sealer.from_settings(settings.pseudonym))
    except IdentityError as exc:
        audit.record(outcome=f"refused: {exc}", peer=None, **where)
        flush()
        raise click.ClickException(str(exc)) from exc
    audit.record(outcome="answered", peer=None, **where)
    flush()
    click.echo(f"payload         {len(payload)} bytes:")
    click.echo(payload.decode("utf-8", errors="replace"))


@dlq.command()
@click.argument("refs", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every letter (newest of each message).")
@click.option("--source", default=None, help="Only letters from this source.")
@click.option("--code", default=None, help="Only letters with this reason code.")
@click.option("--dry-run", is_flag=True, help="Say what would pass; write nothing.")
@click.option("--max-attempts", default=3, show_default=True, help="Reprocess a message at most this often.")
def reprocess(
    refs: tuple[str, ...],
    *,
    everything: bool,
    source: str | None,
    code: str | None,
    dry_run: bool,
    max_attempts: int,
) -> None:
    """Re-run today's format on sealed originals; write those that pass to their raw topic (audited)."""
    from confluent_kafka import Producer

    from connectors.common.ingest import raw_topic
    from connectors.registry import FORMAT_MODULES, get_format
    from hub.errors import DeliveryError
    from hub.events.transport import RawMessage
    from hub.identity import Pseudonymiser
    from hub.identity.sealing import Sealer
    from hub.ops.audited import cli_actor, cli_audit, request_id
    from hub.ops.dlq import Reprocessor, attempts_by_link, find
    from hub.ops.topic_reader import KafkaRecordSource
    from hub.serde import codec_for
    from hub.settings import load_settings

    if not refs and not (everything or source or code):
        raise click.UsageError("name dead letters (REFS), or select with --all / --source / --code")
    settings = load_settings()
    letters = _letters(settings)
    try:
        chosen = [find(letters, ref) for ref in refs] or [
            letter
            for letter in letters
            if (source is None or letter.record.source == source)
            and (code is None or letter.record.code == code)
        ]
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    topics = {name: raw_topic(settings, get_format(name)) for name in FORMAT_MODULES}
    reprocessor = Reprocessor(
        Sealer.from_settings(settings.pseudonym),
        Pseudonymiser.from_settings(settings.pseudonym, accept_tokens=False),
        get_format,
        topics,
        max_attempts=max_attempts,
        redacted_pseudonymiser=Pseudonymiser.from_settings(settings.pseudonym),
    )
    reader = KafkaRecordSource(settings)
    since = min((c.record.received_at for c in chosen), default=None)
    since = since - timedelta(minutes=5) if since is not None else None
    codecs = {t: codec_for(settings, RawMessage, t) for t in set(topics.values())}
    audit, flush = cli_audit(settings)
    producer = Producer({**settings.kafka.confluent_config(), "acks": "all", "enable.idempotence": True})
    actor, rid = cli_actor(), request_id()
    try:
        attempts: Counter[str] = Counter()
        for t, codec in codecs.items():  # raw records written by earlier runs, by the letter they came from
            attempts.update(attempts_by_link(reader.read(t, since=since), codec))
        todo, skipped = reprocessor.plan(letters, chosen, attempts)
        outcomes = list(skipped)
        for letter in todo:
            outcome = _write(reprocessor.attempt(letter, dry_run=dry_run), codecs, producer)
            audit.record(
                actor=actor,
                action="dlq.reprocess" + (" (dry run)" if dry_run else ""),
                resource=letter.link,
                outcome=outcome.status.value,
                peer=None,
                request_id=rid,
            )
            outcomes.append(outcome)
        if producer.flush(30):
            raise DeliveryError("Kafka did not confirm every reprocessed record")
        flush()
    finally:
        for codec in codecs.values():
            codec.close()
    _report(outcomes)


def _write(outcome: Outcome, codecs: Mapping[str, TopicCodec[RawMessage]], producer: Producer) -> Outcome:
    """Queue the raw record of a letter that now passes, unless it would carry a person number."""
    from hub.identity.masking import PersonNumberLeak, check_record
    from hub.ops.dlq import Status
    from hub.ops.traceparent import kafka_headers, new_trace

    if outcome.status is not Status.REPROCESSED or outcome.raw is None or outcome.topic is None:
        return outcome
    key, value = outcome.raw.message_id.encode(), codecs[outcome.topic].encode(outcome.raw)
    try:
        check_record(outcome.topic, key, value)  # the connector's last check, here too
    except PersonNumberLeak as exc:
        return replace(outcome, status=Status.STILL_FAILS, detail=f"person_number: {exc}")
    producer.produce(outcome.topic, key=key, value=value, headers=kafka_headers(new_trace()))
    return outcome


def _report(outcomes: list[Outcome]) -> None:
    from hub.ops.dlq import Status

    for outcome in sorted(outcomes, key=lambda o: o.letter.link):
        target = f" → {outcome.topic}" if outcome.status is Status.REPROCESSED else ""
        click.echo(f"{outcome.letter.link}  {outcome.status.value}{target}: {outcome.detail}")
    tally = {s: sum(o.status is s for o in outcomes) for s in Status}
    click.echo(", ".join(f"{n} {s.value}" for s, n in tally.items() if n) or "nothing selected")
