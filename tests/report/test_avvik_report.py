"""``hub report avvik``: aggregation, Markdown, CSV and PNG renderers, and the CLI on JSON lines and Kafka."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from confluent_kafka import Producer

from hub.cli import cli
from hub.domain.avvik import AvvikRecord as DomainAvvik
from hub.domain.avvik import AvvikStatus as DomainStatus
from hub.domain.avvik import Severity as DomainSeverity
from hub.errors import ParseError, ValidationError
from hub.events.outputs import AvvikRecord, AvvikStatus, Severity
from hub.masterdata import load_masterdata
from hub.report.avvik import AvvikReport, build_report
from hub.report.chart import write_chart
from hub.report.csvout import AVVIK_COLUMNS, write_avvik_csv, write_summary_csv
from hub.report.inputs import read_avvik_lines
from hub.report.markdown import render_markdown
from hub.serde import codec_for
from hub.settings import HubSettings, settings_env
from tests.agents.harness import private_settings
from tests.agents.scenario import scenario

HFS = "HF-HNT"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rec(avvik_id: str, code: str, status: AvvikStatus, at: datetime, **kw: Any) -> AvvikRecord:
    """An avvik record of Helse Nord-Trøndelag in kommune 5037 unless overridden."""
    fields: dict[str, Any] = {
        "avvik_id": avvik_id,
        "code": code,
        "severity": Severity.MEDIUM,
        "status": status,
        "patient_pseudonym": "P" * 32,
        "hf": "HNT",
        "kommune": "5037",
        "helsefellesskap": HFS,
        "detected_at": at,
        "text_no": "tekst",
        "text_en": "text",
    }
    fields.update(kw)
    return AvvikRecord(**fields)


def day(month: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    """An instant in 2024 (UTC)."""
    return datetime(2024, month, d, hour, minute, tzinfo=UTC)


def records() -> list[AvvikRecord]:
    """Known records: 5 counted (2 open, 3 resolved), 2 retracted, and 4 outside the selection."""
    return [
        rec("a1", "SA01", AvvikStatus.OPEN, day(5, 6)),
        rec("a2", "SA01", AvvikStatus.OPEN, day(5, 10)),
        rec("a2", "SA01", AvvikStatus.RESOLVED, day(5, 10), delay_seconds=3600),  # latest version wins
        rec("a3", "SA01", AvvikStatus.RESOLVED, day(6, 2), kommune="5038", delay_seconds=10800),
        rec("a4", "SA03", AvvikStatus.RETRACTED, day(5, 12)),
        rec("a5", "SA05", AvvikStatus.OPEN, day(5, 20), overliggedogn=3, betalingsplikt_nok=17235.0),
        rec(
            "a6",
            "SA05",
            AvvikStatus.RESOLVED,
            day(6, 10),
            kommune="5038",
            overliggedogn=2,
            betalingsplikt_nok=11490.0,
        ),
        rec("a7", "SA05", AvvikStatus.RETRACTED, day(5, 21), overliggedogn=5, betalingsplikt_nok=28725.0),
        # outside: 1 July in Oslo (22:30 UTC on 30 June), another helsefellesskap, before the period
        rec("a8", "SA07", AvvikStatus.OPEN, day(6, 30, 22, 30), kommune="5038"),
        rec("a9", "SA01", AvvikStatus.OPEN, day(5, 6), helsefellesskap="HF-FINNMARK", hf="FINNMARK"),
        rec("a10", "SA01", AvvikStatus.OPEN, day(4, 30, 21, 59)),
        rec("a11", "SA01", AvvikStatus.OPEN, day(4, 30, 22, 0)),  # 1 May 00:00 in Oslo: inside
    ]


@pytest.fixture
def report() -> AvvikReport:
    """The report of HF-HNT for May and June 2024."""
    return build_report(
        records(),
        helsefellesskap=HFS,
        start=date(2024, 5, 1),
        end=date(2024, 6, 30),
        masterdata=load_masterdata(),
    )


def test_totals_exclude_retracted(report: AvvikReport) -> None:
    """Counts take the latest version per id, keep the Oslo-day period and leave retracted avvik out."""
    assert (report.totals.open, report.totals.resolved, report.totals.retracted) == (3, 3, 2)
    assert report.totals.total == 6
    assert {r.avvik_id for r in report.records} == {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a11"}


def test_counts_by_code_kommune_hf_month(report: AvvikReport) -> None:
    """Per code, kommune, HF and month the counted avvik add up as built."""
    by_code = {r.code: r for r in report.by_code}
    assert (by_code["SA01"].counts.open, by_code["SA01"].counts.resolved) == (2, 2)
    assert by_code["SA03"].counts.total == 0
    assert by_code["SA03"].counts.retracted == 1
    assert by_code["SA05"].counts.total == 2
    kommuner = {r.key: r for r in report.by_kommune}
    assert (kommuner["5037"].counts.total, kommuner["5037"].counts.retracted) == (4, 2)
    assert kommuner["5037"].name == "Levanger"
    assert kommuner["5038"].counts.total == 2
    assert [(r.key, r.counts.total) for r in report.by_hf] == [("HNT", 6)]
    assert [(m.month, dict(m.by_code)) for m in report.by_month] == [
        ("2024-05", {"SA01": 3, "SA05": 1}),
        ("2024-06", {"SA01": 1, "SA05": 1}),
    ]
    assert report.codes == ("SA01", "SA05")


def test_median_delay_and_betalingsplikt(report: AvvikReport) -> None:
    """Median delay uses resolved records' delays; betalingsplikt sums non-retracted SA05 per kommune."""
    by_code = {r.code: r for r in report.by_code}
    assert by_code["SA01"].median_delay_seconds == 7200
    assert by_code["SA05"].median_delay_seconds is None
    assert [(r.kommune, r.overliggedogn, r.betalingsplikt_nok) for r in report.betalingsplikt] == [
        ("5037", 3, 17235.0),
        ("5038", 2, 11490.0),
    ]
    assert report.overliggedogn_total == 5
    assert report.betalingsplikt_total_nok == 28725.0


def test_markdown_contains_the_totals(report: AvvikReport) -> None:
    """The Markdown names the helsefellesskap and shows totals, median delay and the NOK sum."""
    text = render_markdown(report)
    assert text.startswith("# Samhandlingsavvik – Helsefellesskap")
    assert "| Avvik totalt (åpne + lukket) | 6 |" in text
    assert "| Trukket tilbake (ikke talt med) | 2 |" in text
    assert "| SA01 | Kommunen ikke varslet om innleggelse | 2 | 2 | 4 | 0 | 2,0 |" in text
    assert "| **Sum** |  | 5 | 28 725 |  |" in text
    assert "| 2024-05 | 3 | 1 | 4 |" in text


def test_csv_parses_back(report: AvvikReport) -> None:
    """avvik.csv has one row per selected avvik and no pseudonym; summary.csv holds the same totals."""
    out = io.StringIO()
    write_avvik_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == AVVIK_COLUMNS
    assert len(rows) == 8
    assert "P" * 32 not in out.getvalue()
    a6 = next(r for r in rows if r["avvik_id"] == "a6")
    assert (a6["status"], a6["overliggedogn"], float(a6["betalingsplikt_nok"])) == ("RESOLVED", "2", 11490.0)
    summary = io.StringIO()
    write_summary_csv(report, summary)
    values = {
        (r["dimension"], r["key"], r["metric"]): r["value"]
        for r in csv.DictReader(io.StringIO(summary.getvalue()))
    }
    assert values[("total", "all", "total")] == "6"
    assert values[("total", "all", "retracted")] == "2"
    assert values[("code", "SA01", "median_delay_seconds")] == "7200"
    assert float(values[("betalingsplikt", "5037", "betalingsplikt_nok")]) == 17235.0
    assert values[("month", "2024-06", "total")] == "2"


def test_chart_is_a_png(report: AvvikReport, tmp_path: Path) -> None:
    """The chart is a PNG file of non-trivial size, also for an empty report."""
    path = tmp_path / "avvik.png"
    write_chart(report, path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 10_000
    empty = tmp_path / "empty.png"
    write_chart(build_report([], helsefellesskap=HFS), empty)
    assert empty.read_bytes().startswith(PNG_MAGIC)


def test_bad_period_is_refused() -> None:
    """A period that ends before it starts is an error."""
    with pytest.raises(ValueError, match="before it starts"):
        build_report([], start=date(2024, 6, 1), end=date(2024, 5, 1))


def domain_line(avvik_id: str, code: str, status: DomainStatus, at: datetime, **kw: Any) -> str:
    """A JSON line as `hub evaluate` prints it (the domain record's to_dict)."""
    record = DomainAvvik(
        avvik_id=avvik_id,
        code=code,
        severity=DomainSeverity.HIGH,
        status=status,
        pseudonym="Q" * 32,
        pathway_id=None,
        episode_id="E1",
        hf="HNT",
        kommunenummer="5037",
        helsefellesskap=HFS,
        detected_at=int(at.timestamp()),
        due_at=None,
        resolved_at=None,
        delay=kw.pop("delay", None),
        evidence=("ev1",),
        text_no="tekst",
        text_en="text",
        **kw,
    )
    return json.dumps(record.to_dict(), ensure_ascii=False)


def test_jsonl_accepts_both_shapes() -> None:
    """Topic records and `hub evaluate` domain dicts both parse; a bad line names its line number."""
    lines = [
        rec("t1", "SA01", AvvikStatus.OPEN, day(5, 6)).model_dump_json(),
        "",
        domain_line("d1", "SA05", DomainStatus.OPEN, day(5, 7), days=4, amount_nok=22980),
    ]
    parsed = read_avvik_lines(lines)
    assert [(r.avvik_id, r.kommune, r.overliggedogn, r.betalingsplikt_nok) for r in parsed] == [
        ("t1", "5037", None, None),
        ("d1", "5037", 4, 22980.0),
    ]
    with pytest.raises(ParseError) as bad_json:
        read_avvik_lines([lines[0], "not json"], source="x.jsonl")
    assert bad_json.value.location == "x.jsonl:2"
    with pytest.raises(ValidationError, match="avvik_id"):
        read_avvik_lines(['{"code": "SA01"}'])


def run_report(tmp_path: Path, *extra: str) -> Any:
    """Run `hub report avvik` for HF-HNT, May-June 2024, into tmp_path/out."""
    args = ["report", "avvik", "--helsefellesskap", HFS, "--from", "2024-05-01", "--to", "2024-06-30"]
    return CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out"), *extra], catch_exceptions=False)


def test_cli_on_jsonl(tmp_path: Path) -> None:
    """On JSON lines the CLI writes report.md, avvik.csv, summary.csv, avvik.png and prints the Markdown."""
    source = tmp_path / "avvik.jsonl"
    lines = [r.model_dump_json() for r in records()]
    lines.append(domain_line("d1", "SA05", DomainStatus.RESOLVED, day(6, 12), days=1, amount_nok=5745))
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_report(tmp_path, "--input", str(source))
    assert result.exit_code == 0, result.output
    assert "| Avvik totalt (åpne + lukket) | 7 |" in result.output
    assert "| **Sum** |  | 6 | 34 470 |  |" in result.output
    out = tmp_path / "out"
    assert (out / "report.md").read_text(encoding="utf-8") == result.output
    with (out / "avvik.csv").open(encoding="utf-8") as rows:
        assert len(list(csv.DictReader(rows))) == 9
    assert (out / "summary.csv").stat().st_size > 0
    assert (out / "avvik.png").read_bytes().startswith(PNG_MAGIC)


def test_cli_refuses_unknown_helsefellesskap(tmp_path: Path) -> None:
    """An unknown helsefellesskap id is a usage error listing the known ids."""
    source = tmp_path / "empty.jsonl"
    source.write_text("", encoding="utf-8")
    args = ["report", "avvik", "--helsefellesskap", "HF-X", "--from", "2024-05-01", "--to", "2024-06-30"]
    result = CliRunner().invoke(cli, [*args, "--input", str(source), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "HF-HNT" in result.output


@pytest.mark.kafka
def test_cli_reads_the_avvik_topic(
    infra: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --input the CLI reads the avvik topic: latest record per key, tombstones drop the key."""
    settings = private_settings(infra, tmp_path)
    codec = codec_for(settings, AvvikRecord, settings.topics.avvik)
    producer = Producer(settings.kafka.ordered_producer_config())
    topic = settings.topics.avvik
    for r in records():
        producer.produce(topic, key=r.avvik_id.encode(), value=codec.encode(r))
    producer.produce(topic, key=b"a1", value=None)  # tombstone: a1 is gone
    assert producer.flush(30) == 0
    for key, value in settings_env(settings).items():
        if key.startswith("HUB_"):
            monkeypatch.setenv(key, value)
    result = run_report(tmp_path, "--timeout", "30")
    assert result.exit_code == 0, result.output
    assert "| Avvik totalt (åpne + lukket) | 5 |" in result.output
    assert "| Åpne | 2 |" in result.output


def test_months_without_avvik_are_listed() -> None:
    """Every month of the period appears in the month table, with zero when nothing happened."""
    only_june = [rec("j1", "SA01", AvvikStatus.OPEN, day(6, 5))]
    result = build_report(only_june, helsefellesskap=HFS, start=date(2024, 4, 15), end=date(2024, 7, 1))
    assert [(m.month, m.total) for m in result.by_month] == [
        ("2024-04", 0),
        ("2024-05", 0),
        ("2024-06", 1),
        ("2024-07", 0),
    ]
    assert "| 2024-05 | 0 | 0 |" in render_markdown(result)


def test_cli_on_hub_evaluate_output(tmp_path: Path) -> None:
    """The stdout of `hub evaluate` on the agents' scenario is a valid --input: SA01 and SA11 are open."""
    events = tmp_path / "events.jsonl"
    events.write_text("".join(e.model_dump_json() + "\n" for e in scenario()), encoding="utf-8")
    evaluated = CliRunner().invoke(
        cli, ["evaluate", str(events), "--until", "2024-05-09T08:00:00"], catch_exceptions=False
    )
    assert evaluated.exit_code == 0, evaluated.output
    source = tmp_path / "avvik.jsonl"
    source.write_text(evaluated.stdout, encoding="utf-8")
    result = run_report(tmp_path, "--input", str(source))
    assert result.exit_code == 0, result.output
    assert "| SA01 | Kommunen ikke varslet om innleggelse | 1 | 0 | 1 | 0 | – |" in result.output
    assert "| SA11 | KAD-pasient sendt til sykehus innen 24 t | 1 | 0 | 1 | 0 | – |" in result.output
    assert "| 5037 | Levanger |" in result.output
