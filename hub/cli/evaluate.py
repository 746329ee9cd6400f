"""``hub evaluate EVENTS.jsonl``: run canonical events through the domain core and print the avvik.

Input: canonical events as JSON lines, in arrival order (an AppRec rejection naming no patient is joined to
the patient of the message it rejects, as the worker joins it). The file is streamed (constant memory) unless
``--sort`` is given. The clock is the event-time watermark (the latest ``occurred_at`` seen), advanced at most
every ``--tick`` seconds of event time; an event that is behind the watermark by no more than
``--allowed-lateness`` gives exactly the result sorted input would give, a later one is still applied and
resolves or retracts what it contradicts. At the end the clock moves to the last event time + the lateness
(the input is taken as complete up to its last event) or to ``--until``.

Output: the final version of every avvik record as JSON lines on stdout (``--all-updates``: every upsert as it
happens), ordered by detected_at and avvik id; then a summary on stderr (counts by code and status,
overliggedøgn and betalingsplikt NOK by kommune, throughput). ``--summary-only`` prints only the summary, on
stdout. A bad line stops the run with its line number unless ``--skip-bad`` (then they are counted).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import click
from pydantic import ValidationError

from agents.rejections import join_rejections
from hub.domain import AvvikRecord, AvvikStatus, AvvikUpsert, Engine, EngineConfig, JudgementFailed
from hub.domain.timeutil import from_epoch, to_epoch
from hub.errors import ConfigError, DomainError
from hub.events import Event
from hub.masterdata import load_masterdata
from hub.settings import load_offline_settings


@dataclass(slots=True)
class Run:
    """Counters of one evaluation."""

    events: int = 0
    bad_lines: int = 0
    records: dict[str, AvvikRecord] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Counts by code/status, overliggedøgn and NOK by kommune, throughput."""
        by_code: dict[str, Counter[str]] = defaultdict(Counter)
        days: Counter[str] = Counter()
        nok: Counter[str] = Counter()
        unpriced: Counter[str] = Counter()
        for record in self.records.values():
            by_code[record.code][record.status.value] += 1
            if record.code == "SA05" and record.status is not AvvikStatus.RETRACTED:
                kommune = record.kommunenummer or "unknown"
                days[kommune] += record.days or 0
                unpriced[kommune] += record.unpriced_days
                if record.amount_nok is not None:
                    nok[kommune] += record.amount_nok
        return {
            "events": self.events,
            "bad_lines_skipped": self.bad_lines,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(self.events / self.seconds) if self.seconds else None,
            "avvik_by_code": {code: dict(sorted(c.items())) for code, c in sorted(by_code.items())},
            "overliggedogn_by_kommune": {
                k: {"days": days[k], "nok": nok[k], "unpriced_days": unpriced[k]} for k in sorted(days)
            },
            "overliggedogn_total": {"days": sum(days.values()), "nok": sum(nok.values())},
        }


def _events(lines: IO[str], *, skip_bad: bool, run: Run) -> Any:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield Event.model_validate_json(line)
        except ValidationError as exc:
            if not skip_bad:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()))
                raise click.ClickException(
                    f"line {number}: not a canonical event: {where}: {first['msg']}"
                ) from exc
            run.bad_lines += 1


def evaluate_stream(
    events: Any,
    engine: Engine,
    run: Run,
    *,
    tick: int,
    lateness: int,
    until: datetime | None,
    on_update: Any = None,
) -> None:
    """Apply events, advancing the watermark clock every ``tick`` seconds of event time; flush at the end."""
    watermark: int | None = None
    advanced: int | None = None

    def take(effects: list[Any]) -> None:
        for effect in effects:
            if isinstance(effect, AvvikUpsert):
                run.records[effect.record.avvik_id] = effect.record
                if on_update is not None:
                    on_update(effect.record)
            elif isinstance(effect, JudgementFailed):  # a bug in the core: an offline run stops on it
                raise DomainError(
                    f"the core failed judging patient {effect.pseudonym}: {effect.error}"
                ) from effect.exc

    for event in events:
        run.events += 1
        take(engine.apply(event))
        t = to_epoch(event.occurred_at)
        if watermark is None or t > watermark:
            watermark = t
        if advanced is None or watermark - advanced >= tick:
            take(engine.advance(from_epoch(watermark)))
            advanced = watermark
    if until is not None:
        take(engine.advance(until))
    elif watermark is not None:
        take(engine.advance(from_epoch(watermark + lateness)))


@click.command("evaluate")
@click.argument("events_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allowed-lateness", type=float, default=900.0, show_default=True, help="Seconds.")
@click.option(
    "--tick", type=int, default=60, show_default=True, help="Advance the clock every N s of event time."
)
@click.option(
    "--until", type=click.DateTime(), default=None, help="Final clock (UTC), default: last event + lateness."
)
@click.option(
    "--sort", "sort_input", is_flag=True, help="Sort the input by occurred_at first (loads it all)."
)
@click.option("--summary-only", is_flag=True, help="Print only the summary, on stdout.")
@click.option(
    "--all-updates", is_flag=True, help="Print every avvik upsert as it happens, not just final ones."
)
@click.option("--skip-bad", is_flag=True, help="Skip (and count) lines that are not canonical events.")
@click.option("--masterdata-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def evaluate(  # noqa: PLR0917 - click passes one parameter per CLI option
    events_file: Path,
    allowed_lateness: float,
    tick: int,
    until: datetime | None,
    sort_input: bool,
    summary_only: bool,
    all_updates: bool,
    skip_bad: bool,
    masterdata_dir: Path | None,
) -> None:
    """Evaluate canonical events (JSON lines): print avvik records, then a summary."""
    if allowed_lateness < 0 or tick < 1:
        raise ConfigError("--allowed-lateness must be >= 0 and --tick >= 1")
    settings = load_offline_settings()  # canonical events in, avvik out: no key, no listener
    masterdata = load_masterdata(masterdata_dir or settings.masterdata_dir)
    config = EngineConfig(allowed_lateness=timedelta(seconds=allowed_lateness), eager=False)
    engine = Engine(masterdata, config=config)
    run = Run()
    out = sys.stdout

    def stream(record: AvvikRecord) -> None:
        out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")

    final_until = until.replace(tzinfo=UTC) if until is not None and until.tzinfo is None else until
    started = time.perf_counter()
    with events_file.open(encoding="utf-8") as lines:
        # AppRec rejections name no patient: joined to the rejected message's patient as the worker does
        events: Any = join_rejections(_events(lines, skip_bad=skip_bad, run=run))
        if sort_input:
            events = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
        evaluate_stream(
            events,
            engine,
            run,
            tick=tick,
            lateness=int(allowed_lateness),
            until=final_until,
            on_update=stream if all_updates and not summary_only else None,
        )
    run.seconds = time.perf_counter() - started
    if not summary_only and not all_updates:
        for record in sorted(run.records.values(), key=lambda r: (r.detected_at, r.avvik_id)):
            stream(record)
    summary = json.dumps(run.summary(), ensure_ascii=False, indent=2)
    if summary_only:
        click.echo(summary)
    else:
        click.echo(summary, err=True)
