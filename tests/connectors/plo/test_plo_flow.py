"""Message-flow statistics: every received PLO message counted by type, standard, sender, receiver and outcome
(bounded labels), and the delay from GenDate to receipt of accepted ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.plo.flow import FlowRecorder
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, DropDirectory, build_app
from hub.events import SourceKind
from hub.masterdata import load_masterdata
from hub.observability.metrics import FlowOutcome, HubMetrics, organisation_labels
from hub.settings import HubSettings
from tests.connectors.plo.conftest import sample

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"  # St. Olavs (HER 59) -> Alvdal (HER 99387)
ORGS = {"59": "HNT", "99387": "5037"}


def _flow_value(registry: CollectorRegistry, **labels: str) -> float:
    return registry.get_sample_value("hub_connector_message_flow_total", {"source": "PLO", **labels}) or 0.0


async def _post_all(settings: HubSettings, registry: CollectorRegistry, *bodies: bytes) -> None:
    metrics = HubMetrics(registry)
    app = build_app(Ingestor(FORMAT, MemorySink(), settings, metrics=metrics), FlowRecorder(metrics, ORGS))
    async with TestClient(TestServer(app)) as client:
        for body in bodies:
            await (await client.post(PATH, data=body)).read()


async def test_outcomes_are_counted_by_type_standard_and_organisations(settings: HubSettings) -> None:
    """Mapped, unmapped, refused and re-sent messages each count once under their labels."""
    registry = CollectorRegistry()
    invalid = sample(GOOD).replace(b"<Anslag>false</Anslag>", b"<Anslag>x</Anslag>")
    await _post_all(
        settings, registry, sample(GOOD), sample("Dialogmelding_avvik_v1-0.xml"), invalid, sample(GOOD)
    )
    good = {
        "message_type": "LOG_UTSKRIVNINGSKLAR",
        "standard": "PLO 1.6",
        "sender": "HNT",
        "receiver": "5037",
    }
    assert _flow_value(registry, **good, outcome="mapped") == 1
    assert _flow_value(registry, **good, outcome="refused") == 1
    assert _flow_value(registry, **good, outcome="resent") == 1
    avvik = {"message_type": "DIALOG_AVVIK", "standard": "Dialogmelding 1.0", "outcome": "unmapped"}
    assert _flow_value(registry, **avvik, sender="other", receiver="HNT") == 1


async def test_delay_from_gendate_is_observed_for_accepted_messages(settings: HubSettings) -> None:
    """Each newly accepted message records GenDate -> receipt; refused and re-sent ones do not."""
    registry = CollectorRegistry()
    await _post_all(settings, registry, sample(GOOD), sample(GOOD), b"<broken")
    count = registry.get_sample_value(
        "hub_connector_message_delay_seconds_count",
        {"source": "PLO", "message_type": "LOG_UTSKRIVNINGSKLAR", "standard": "PLO 1.6"},
    )
    assert count == 1
    refused = {"message_type": "other", "standard": "other", "sender": "other", "receiver": "other"}
    assert _flow_value(registry, **refused, outcome="refused") == 1


async def test_unknown_message_type_is_other(settings: HubSettings) -> None:
    """A message type outside the known ELIN vocabulary is counted as ``other``, never by its own name."""
    registry = CollectorRegistry()
    await _post_all(
        settings, registry, sample(GOOD).replace(b"LOG_UTSKRIVNINGSKLAR", b"LOG_NOE_NYTT_12345678901")
    )
    labels = {"message_type": "other", "standard": "PLO 1.6", "sender": "HNT", "receiver": "5037"}
    assert _flow_value(registry, **labels, outcome="unmapped") == 1


async def test_drop_directory_counts_the_flow(settings: HubSettings, tmp_path: Path) -> None:
    """Files from the drop directory are counted like HTTP messages."""
    registry = CollectorRegistry()
    metrics = HubMetrics(registry)
    ingestor = Ingestor(FORMAT, MemorySink(), settings, metrics=metrics)
    drop = DropDirectory(ingestor, tmp_path / "in", tmp_path / "out", 0.01, flow=FlowRecorder(metrics, ORGS))
    drop.prepare()
    (drop.inbox / "a.xml").write_bytes(sample(GOOD))
    await drop.poll_once()
    labels = {
        "message_type": "LOG_UTSKRIVNINGSKLAR",
        "standard": "PLO 1.6",
        "sender": "HNT",
        "receiver": "5037",
    }
    assert _flow_value(registry, **labels, outcome="mapped") == 1


def test_organisation_labels_come_from_master_data() -> None:
    """HER-ids of hospital units label as their helseforetak, those of kommuner as the kommunenummer."""
    labels = organisation_labels(load_masterdata())
    assert labels["9900111"] == "HNT"
    assert labels["995004"] == "5004"
    assert "59" not in labels


def test_flow_labels_refuse_identifiers() -> None:
    """A person-number-shaped label value never reaches the flow metrics."""
    metrics = HubMetrics(CollectorRegistry())
    with pytest.raises(ValueError, match="not a safe metric label"):
        metrics.message_received(SourceKind.PLO, FlowOutcome.MAPPED, sender="15076500565")
