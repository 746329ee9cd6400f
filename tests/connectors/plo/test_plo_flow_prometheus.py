"""A real Prometheus scrapes the PLO connector's ops ``/metrics``: PromQL over the message-flow metrics gives
what was sent (accepted, mapped, unmapped, refused per type and receiver; delays observed).

Prometheus is Debian's ``/usr/bin/prometheus`` (``scripts/ci-prometheus.sh``); missing, the test skips
locally and fails under ``CI=true`` (as the worker's scrape test in ``tests/ops``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from connectors.common.ingest import Ingestor
from connectors.common.runtime import ops_app
from connectors.common.sink import MemorySink
from connectors.plo.flow import FlowRecorder
from connectors.plo.format import FORMAT
from connectors.plo.server import PATH, build_app
from hub.observability.metrics import HubMetrics
from hub.settings import HubSettings
from tests.connectors.plo.conftest import sample

pytestmark = pytest.mark.slow

GOOD = "Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml"
ORGS = {"59": "HNT", "99387": "5037"}


def _prometheus() -> str:
    found = shutil.which("prometheus")
    if found is None:
        message = "prometheus is not installed; run `bash scripts/ci-prometheus.sh`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _scalar(client: httpx.AsyncClient, expr: str) -> float | None:
    response = await client.get("/api/v1/query", params={"query": expr})
    response.raise_for_status()
    result = response.json()["data"]["result"]
    assert len(result) <= 1, result
    return float(result[0]["value"][1]) if result else None


async def test_prometheus_scrape_answers_message_flow_questions(
    settings: HubSettings, tmp_path: Path
) -> None:
    """After two good, one unmapped, one invalid and one re-sent message, PromQL on the scraped connector
    answers how many were mapped, unmapped, refused and re-sent, and what the receiver got."""
    binary = _prometheus()
    registry = CollectorRegistry()
    metrics = HubMetrics(registry)
    app = build_app(Ingestor(FORMAT, MemorySink(), settings, metrics=metrics), FlowRecorder(metrics, ORGS))
    invalid = sample(GOOD).replace(b"<Anslag>false</Anslag>", b"<Anslag>x</Anslag>")
    bodies = [
        sample(GOOD),
        sample("Innleggelsesrapport_v1-6_Ny.xml"),
        sample("Dialogmelding_avvik_v1-0.xml"),
        invalid,
        sample(GOOD),
    ]
    async with TestClient(TestServer(app)) as client:
        for body in bodies:
            await (await client.post(PATH, data=body)).read()

    ops_port = _free_port()
    runner = web.AppRunner(ops_app(registry), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", ops_port).start()
    prom_port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: plo\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{ops_port}']\n",
        encoding="utf-8",
    )
    log = (tmp_path / "prometheus.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
        "--log.level=warn",
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    flow = 'sum by (outcome) (hub_connector_message_flow_total{job="plo", source="PLO", outcome="%s"})'
    expected = {
        flow % "mapped": 2.0,
        flow % "unmapped": 1.0,
        flow % "refused": 1.0,
        flow % "resent": 1.0,
        'sum(hub_connector_message_flow_total{message_type="INNLEGGELSESRAPPORT", outcome="mapped"})': 1.0,
        'sum(hub_connector_message_delay_seconds_count{job="plo"})': 3.0,
        'sum(hub_connector_message_flow_total{receiver="5037", outcome=~"mapped|unmapped"})': 1.0,
    }
    answers: dict[str, float | None] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{prom_port}", timeout=5) as prom:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if proc.returncode is not None:
                    pytest.fail(f"prometheus exited: {(tmp_path / 'prometheus.log').read_text()}")
                try:
                    answers = {expr: await _scalar(prom, expr) for expr in expected}
                except httpx.HTTPError:
                    answers = {}
                if answers == expected:
                    break
                await asyncio.sleep(0.5)
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)
        log.close()
        await runner.cleanup()
    assert answers == expected
