"""``hub report flow``: the message flow of a period from raw and dead-letter records, per message type,
standard, sender and receiver (master data), with mapped / no-event counts, delays and refusals."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.common.ingest import Ingestor
from connectors.common.sink import KafkaSink, MemorySink
from connectors.formats import MappingContext
from connectors.plo.format import FORMAT
from hub.cli import cli
from hub.events import Event, SourceKind
from hub.events.transport import DeadLetterRecord, RawMessage
from hub.identity import Pseudonymiser
from hub.masterdata import load_masterdata
from hub.observability.metrics import organisation_labels
from hub.report.flow import build_flow_report, render_flow_markdown, write_flow_csv
from hub.serde import codec_for
from hub.settings import HubSettings, RegistrySettings, TopicSettings, settings_env
from tests.agents.harness import private_settings
from tests.connectors.plo.conftest import sample

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
INVALID = sample(GOOD).replace(b"<Anslag>false</Anslag>", b"<Anslag>x</Anslag>")
MESSAGES = (
    sample(GOOD),
    sample("Innleggelsesrapport_v1-6_Ny.xml"),
    sample("Dialogmelding_avvik_v1-0.xml"),
    INVALID,
    sample(GOOD),  # a re-send: not written again
)
NOW = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)


@pytest.fixture
def settings() -> HubSettings:
    """Settings with single-object encoding (no registry) and default topics."""
    return HubSettings(registry=RegistrySettings(url=None), topics=TopicSettings())


def _raw(message_id: str, **fields: object) -> RawMessage:
    data: dict[str, object] = {
        "format": "plo",
        "source_kind": SourceKind.PLO,
        "system": "her:9900111",
        "message_id": message_id,
        "received_at": NOW,
        "content_type": "application/xml",
        "payload": b"<x/>",
        "sender": "9900111",
        "receiver": "995004",
        "message_type": "INNLEGGELSESRAPPORT",
        "standard": "PLO 1.6",
        "event_types": ["INNLEGGELSESRAPPORT_SENT"],
        "sent_at": NOW - timedelta(minutes=10),
    }
    return RawMessage.model_validate({**data, **fields})


async def _ingested(settings: HubSettings) -> tuple[list[RawMessage], list[DeadLetterRecord]]:
    sink = MemorySink()
    ingestor = Ingestor(FORMAT, sink, settings, refuse_reused_ids=True)
    for payload in MESSAGES:
        await ingestor.ingest(payload)
    raw_codec = codec_for(settings, RawMessage, settings.topics.raw_plo)
    dlq_codec = codec_for(settings, DeadLetterRecord, settings.topics.dlq)
    raw = [raw_codec.decode(v) for _k, v in sink.on(settings.topics.raw_plo)]
    return raw, [dlq_codec.decode(v) for _k, v in sink.on(settings.topics.dlq)]


async def test_report_counts_what_the_connector_received(settings: HubSettings) -> None:
    """Raw records of accepted messages give rows per type; a record twice (after a restart) counts once."""
    raw, dead = await _ingested(settings)
    report = build_flow_report([*raw, raw[0]], dead, organisations={})
    got = {(r.message_type, r.standard): (r.accepted, r.mapped, r.unmapped) for r in report.rows}
    assert got == {
        ("LOG_UTSKRIVNINGSKLAR", "PLO 1.6"): (1, 1, 0),
        ("INNLEGGELSESRAPPORT", "PLO 1.6"): (1, 1, 0),
        ("DIALOG_AVVIK", "Dialogmelding 1.0"): (1, 0, 1),
    }
    assert report.refused == {("plo", "schema"): 1}
    assert (report.accepted, report.refused_total) == (3, 1)
    assert all(r.median_delay_s is not None and r.median_delay_s > 0 for r in report.rows)


def test_organisations_and_delays_come_from_master_data_and_gendate() -> None:
    """Sender and receiver are labelled from master data (HF id / kommunenummer); delay is GenDate→receipt."""
    labels = organisation_labels(load_masterdata())
    raw = [_raw("m1"), _raw("m2", sent_at=NOW - timedelta(hours=2)), _raw("m3", receiver="123")]
    report = build_flow_report(raw, [], organisations=labels)
    rows = {(r.sender, r.receiver): r for r in report.rows}
    assert rows[("HNT", "5004")].accepted == 2
    assert rows[("HNT", "5004")].median_delay_s == pytest.approx(3900.0)
    assert rows[("HNT", "other")].accepted == 1
    markdown = render_flow_markdown(report)
    assert "| INNLEGGELSESRAPPORT | PLO 1.6 | HNT | 5004 | 2 | 2 | 0 | 65 min | 2.0 h |" in markdown
    out = io.StringIO()
    write_flow_csv(report, out)
    assert out.getvalue().splitlines()[1].startswith("INNLEGGELSESRAPPORT,PLO 1.6,HNT,5004,2,2,0,3900")


def test_period_is_in_oslo_days() -> None:
    """Only records received within the period (Oslo days, both ends inclusive) count."""
    late = _raw("late", received_at=datetime(2024, 3, 4, 23, 30, tzinfo=UTC))  # 5 March in Oslo
    report = build_flow_report([_raw("m1"), late], [], organisations={}, end=date(2024, 3, 4))
    assert report.accepted == 1


async def test_cli_on_json_lines(settings: HubSettings, tmp_path: Path) -> None:
    """`hub report flow --raw-input --dlq-input --out` prints the Markdown and writes flow.md and flow.csv."""
    raw, dead = await _ingested(settings)
    raw_file, dlq_file = tmp_path / "raw.jsonl", tmp_path / "dlq.jsonl"
    raw_file.write_text("".join(r.model_dump_json() + "\n" for r in raw), encoding="utf-8")
    opaque = [d.model_copy(update={"sealed_payload": b"sealed"}) for d in dead]  # JSON needs text bytes
    dlq_file.write_text("".join(d.model_dump_json() + "\n" for d in opaque), encoding="utf-8")
    args = [
        "report",
        "flow",
        "--raw-input",
        str(raw_file),
        "--dlq-input",
        str(dlq_file),
        "--out",
        str(tmp_path),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "3 messages accepted, 1 refused." in result.output
    assert "| DIALOG_AVVIK | Dialogmelding 1.0 | other | other | 1 | 0 | 1 |" in result.output
    assert "| plo | schema | 1 |" in result.output
    assert (tmp_path / "flow.md").read_text(encoding="utf-8") == result.output
    assert (tmp_path / "flow.csv").read_text(encoding="utf-8").count("\n") == 4


@pytest.mark.kafka
async def test_cli_reads_the_raw_and_dead_letter_topics(
    infra: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without inputs the CLI reads the raw topics and the dead-letter topic the connector wrote."""
    settings = private_settings(infra, tmp_path)
    sink = KafkaSink.from_settings(settings)
    try:
        ingestor = Ingestor(FORMAT, sink, settings, refuse_reused_ids=True)
        for payload in MESSAGES:
            await ingestor.ingest(payload)
    finally:
        sink.close()
    for key, value in settings_env(settings).items():
        if key.startswith("HUB_"):
            monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["report", "flow", "--timeout", "30"])
    assert result.exit_code == 0, result.output
    assert "3 messages accepted, 1 refused." in result.output


def _dialogue_events(settings: HubSettings) -> list[Event]:
    ctx = MappingContext(pseudonymiser=Pseudonymiser.from_settings(settings.pseudonym), received_at=NOW)
    names = ("Dialogmelding_foresporsel_PLO_v1-0.xml", "Dialogmelding_svar_foresporsel_PLO_v1-0.xml")
    return [e for name in names for e in FORMAT.accept(sample(name), ctx).events]


def test_dialogue_section_counts_questions_answers_and_time_to_answer(settings: HubSettings) -> None:
    """A forespørsel and its svar: one question, answered, after 5 h 7 min; an unanswered one counts too."""
    events = _dialogue_events(settings)
    question = events[0]
    unanswered = question.model_copy(
        update={"source": question.source.model_copy(update={"message_id": "q2"}), "event_id": "e-q2"}
    )
    report = build_flow_report([], [], organisations={}, events=[*events, unanswered])
    assert report.dialogue is not None
    assert (report.dialogue.questions, report.dialogue.answered) == (2, 1)
    assert report.dialogue.median_answer_s == 5 * 3600 + 7 * 60 + 4
    assert "| 2 | 1 | 5.1 h |" in render_flow_markdown(report)


def test_cli_dialogue_from_events_input(settings: HubSettings, tmp_path: Path) -> None:
    """`--events-input` adds the dialogue section to the printed report."""
    raw_file, events_file = tmp_path / "raw.jsonl", tmp_path / "events.jsonl"
    raw_file.write_text(_raw("m1").model_dump_json() + "\n", encoding="utf-8")
    events_file.write_text("".join(e.model_dump_json() + "\n" for e in _dialogue_events(settings)), "utf-8")
    args = ["report", "flow", "--raw-input", str(raw_file), "--events-input", str(events_file)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "## Dialogue (forespørsel / svar)" in result.output
    assert "| 1 | 1 | 5.1 h |" in result.output
