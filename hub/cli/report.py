"""``hub report``: reports for samhandling leaders.

``hub report avvik --helsefellesskap HF-HNT --from 2024-01-01 --to 2024-12-31 --out DIR [--input FILE]``
reads the avvik records (by default the latest record of every key on the compacted ``samhandling.avvik``
topic; with ``--input`` JSON lines of topic records or ``hub evaluate`` output), keeps those of the
helsefellesskap detected in the period (Europe/Oslo days, both ends inclusive), writes ``report.md``,
``avvik.csv`` (one row per avvik), ``summary.csv`` and ``avvik.png`` to ``DIR`` and prints the Markdown.

``hub report flow [--from DAY] [--to DAY] [--raw-input FILE --dlq-input FILE] [--out DIR]`` counts the message
flow (``hub.report.flow``): accepted messages per type, standard, sender and receiver (mapped or without
events, delay from GenDate), refused ones per source and reason; prints Markdown, writes flow.md and flow.csv.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

import click
from pydantic import BaseModel

from hub.events import Event
from hub.events.outputs import AvvikRecord
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.masterdata import load_masterdata
from hub.observability.metrics import organisation_labels
from hub.report.avvik import build_report
from hub.report.chart import write_chart
from hub.report.csvout import write_avvik_csv, write_summary_csv
from hub.report.flow import build_flow_report, render_flow_markdown, write_flow_csv
from hub.report.inputs import read_avvik_lines
from hub.report.markdown import render_markdown
from hub.settings import load_offline_settings, load_settings

__all__ = ["report"]

M = TypeVar("M", bound=BaseModel)


@click.group("report")
def report() -> None:
    """Reports for samhandling leaders (Markdown, CSV and PNG)."""


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@report.command("avvik")
@click.option("--helsefellesskap", "helsefellesskap", required=True, help="Helsefellesskap id, e.g. HF-HNT.")
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (YYYY-MM-DD)."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day, inclusive.")
@click.option(
    "--input",
    "input_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Avvik records as JSON lines (topic records or `hub evaluate` output); default: the avvik topic.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for report.md, avvik.csv, summary.csv and avvik.png (created if missing).",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to read the topic.")
@click.option(
    "--masterdata-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Override directory for master data (names of kommuner, HF, helsefellesskap).",
)
def avvik(  # noqa: PLR0917 - click passes one parameter per CLI option
    helsefellesskap: str,
    start: datetime,
    end: datetime,
    input_file: Path | None,
    out_dir: Path,
    timeout: float,
    masterdata_dir: Path | None,
) -> None:
    """Samhandlingsavvik of one helsefellesskap and period: report.md, avvik.csv, summary.csv, avvik.png."""
    settings = load_settings()
    masterdata = load_masterdata(masterdata_dir or settings.masterdata_dir)
    if helsefellesskap not in masterdata.helsefellesskap:
        known = ", ".join(sorted(masterdata.helsefellesskap))
        raise click.BadParameter(f"unknown helsefellesskap {helsefellesskap!r}; known: {known}")
    first, last = _day(start), _day(end)
    if first is not None and last is not None and last < first:
        raise click.BadParameter("--to is before --from")

    records: list[AvvikRecord]
    if input_file is not None:
        with input_file.open(encoding="utf-8") as lines:
            records = read_avvik_lines(lines, source=str(input_file))
    else:
        from hub.report.topic import read_avvik_topic

        records = read_avvik_topic(settings, timeout=timeout)

    result = build_report(
        records, helsefellesskap=helsefellesskap, start=first, end=last, masterdata=masterdata
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = render_markdown(result)
    (out_dir / "report.md").write_text(markdown, encoding="utf-8")
    with (out_dir / "avvik.csv").open("w", encoding="utf-8", newline="") as out:
        write_avvik_csv(result, out)
    with (out_dir / "summary.csv").open("w", encoding="utf-8", newline="") as out:
        write_summary_csv(result, out)
    write_chart(result, out_dir / "avvik.png")
    click.echo(markdown, nl=False)


def _jsonl(path: Path, model: type[M]) -> list[M]:
    with path.open(encoding="utf-8") as lines:
        return [model.model_validate_json(line) for line in lines if line.strip()]


@report.command("flow")
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (YYYY-MM-DD)."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day, inclusive.")
@click.option(
    "--raw-input",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Raw-topic records as JSON lines; default: the five raw topics.",
)
@click.option(
    "--dlq-input",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Dead-letter records as JSON lines; default: the dead-letter topic (none with --raw-input).",
)
@click.option(
    "--events-input",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Canonical events as JSON lines for the dialogue section; default: the events topic "
    "(none with --raw-input).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for flow.md and flow.csv (created if missing); default: print only.",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to read each topic.")
@click.option(
    "--masterdata-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Override directory for master data (organisation HER-ids).",
)
def flow(  # noqa: PLR0917 - click passes one parameter per CLI option
    start: datetime | None,
    end: datetime | None,
    raw_input: Path | None,
    dlq_input: Path | None,
    events_input: Path | None,
    out_dir: Path | None,
    timeout: float,
    masterdata_dir: Path | None,
) -> None:
    """Message flow of a period: accepted (mapped / no events), refused, delays, per type and organisation."""
    settings = load_settings()
    masterdata = load_masterdata(masterdata_dir or settings.masterdata_dir)
    first, last = _day(start), _day(end)
    if first is not None and last is not None and last < first:
        raise click.BadParameter("--to is before --from")
    raw: list[RawMessage] = []
    dead: list[DeadLetterRecord] = []
    events: list[Event] | None = _jsonl(events_input, Event) if events_input is not None else None
    if raw_input is not None:
        raw = _jsonl(raw_input, RawMessage)
        dead = _jsonl(dlq_input, DeadLetterRecord) if dlq_input is not None else []
    else:
        from hub.report.topic import read_topic

        t = settings.topics
        for topic in (t.raw_hl7v2, t.raw_fhir, t.raw_plo, t.raw_ambulance, t.raw_kpr):
            raw += [r for _k, r in read_topic(settings, topic, RawMessage, timeout=timeout) if r is not None]
        if dlq_input is not None:
            dead = _jsonl(dlq_input, DeadLetterRecord)
        else:
            dead = [r for _k, r in read_topic(settings, t.dlq, DeadLetterRecord, timeout=timeout) if r]
        if events is None:
            events = [r for _k, r in read_topic(settings, t.events, Event, timeout=timeout) if r]
    result = build_flow_report(
        raw, dead, organisations=organisation_labels(masterdata), start=first, end=last, events=events
    )
    markdown = render_flow_markdown(result)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "flow.md").write_text(markdown, encoding="utf-8")
        with (out_dir / "flow.csv").open("w", encoding="utf-8", newline="") as out:
            write_flow_csv(result, out)
    click.echo(markdown, nl=False)


@report.command("tabell6")
@click.option(
    "--input",
    "input_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Canonical events as JSON lines (`python -m hub.synth` output, a dump of samhandling.events).",
)
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First discharge day."
)
@click.option(
    "--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last discharge day, inclusive."
)
@click.option("--min-age", type=int, default=75, show_default=True, help="Cohort: age at admission at least.")
@click.option(
    "--all-patients/--with-services",
    "all_patients",
    default=False,
    help="Cohort: also patients without a municipal service at admission (default: with services only).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the Markdown here.",
)
@click.option("--masterdata-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def tabell6(  # noqa: PLR0917 - click passes one parameter per CLI option
    input_file: Path,
    start: datetime,
    end: datetime,
    min_age: int,
    all_patients: bool,
    out_file: Path | None,
    masterdata_dir: Path | None,
) -> None:
    """«Tid for samordning» Tabell 6 for a cohort: patients, liggedøgn and stays per HF (Markdown)."""
    from datetime import timedelta

    from hub.events import Event
    from hub.report.tabell6 import Cohort, build_tabell6, render_tabell6

    if end < start:
        raise click.BadParameter("--to is before --from")
    masterdata = load_masterdata(masterdata_dir or load_offline_settings().masterdata_dir)
    with input_file.open(encoding="utf-8") as lines:
        events = [Event.model_validate_json(line) for line in lines if line.strip()]
    table = build_tabell6(
        events,
        masterdata,
        start=start.date(),
        end=end.date() + timedelta(days=1),
        cohort=Cohort(min_age=min_age, with_services=not all_patients),
    )
    markdown = render_tabell6(table, masterdata)
    if out_file is not None:
        out_file.write_text(markdown, encoding="utf-8")
    click.echo(markdown, nl=False)
