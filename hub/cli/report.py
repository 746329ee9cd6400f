"""``hub report``: reports for samhandling leaders.

``hub report avvik --helsefellesskap HF-HNT --from 2024-01-01 --to 2024-12-31 --out DIR [--input FILE]``
reads the avvik records (by default the latest record of every key on the compacted ``samhandling.avvik``
topic; with ``--input`` JSON lines of topic records or ``hub evaluate`` output), keeps those of the
helsefellesskap detected in the period (Europe/Oslo days, both ends inclusive), writes ``report.md``,
``avvik.csv`` (one row per avvik), ``summary.csv`` and ``avvik.png`` to ``DIR`` and prints the Markdown.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from hub.events.outputs import AvvikRecord
from hub.masterdata import load_masterdata
from hub.report.avvik import build_report
from hub.report.chart import write_chart
from hub.report.csvout import write_avvik_csv, write_summary_csv
from hub.report.inputs import read_avvik_lines
from hub.report.markdown import render_markdown
from hub.settings import load_settings

__all__ = ["report"]


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
