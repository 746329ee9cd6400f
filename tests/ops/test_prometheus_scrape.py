"""A real Prometheus server scrapes a real worker: PromQL over the hub's metrics gives the scenario's answers.

The worker runs on topics private to the test (``tests/agents/harness.py``); Prometheus is Debian's
``/usr/bin/prometheus`` (installed by ``scripts/ci-prometheus.sh``) on a free port, with a generated config
scraping the worker's ``/metrics`` every second and its TSDB under ``tmp_path``. Missing Prometheus skips
locally and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opstools import find_tool

from hub.domain import AvvikUpsert, Engine
from hub.events import Event, EventType
from hub.masterdata import load_masterdata
from hub.settings import HubSettings
from tests.agents.harness import WorkerProcess, free_port, private_settings, produce_events
from tests.agents.scenario import T0, ev, scenario, watermark_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

JOB = "samhandling-hub"
WARD = "HNT-LEV-MED"


def extra_events() -> list[Event]:
    """An akutt ambulance mission on scene after 10 min (A), and B declared ready; kommune cannot receive."""
    amb = {"mission_id": "M1", "hastegrad": "AKUTT", "area": "TETTSTED"}
    day = T0 + timedelta(days=1)
    notice = {"episode_id": "EB", "notice": "READY", "kommunenummer": "5037"}
    answer = {"episode_id": "EB", "can_receive": False, "kommunenummer": "5037"}
    return [
        ev(
            EventType.CALL_RECEIVED,
            "A",
            T0 - timedelta(minutes=40),
            amb,
            unit="AMK-HNT",
            unit_kind="AMK",
            msg="m1",
        ),
        ev(
            EventType.ON_SCENE,
            "A",
            T0 - timedelta(minutes=30),
            amb,
            unit="AMK-HNT",
            unit_kind="AMK",
            msg="m2",
        ),
        ev(EventType.DECLARED_READY, "B", day, {"episode_id": "EB"}, unit=WARD, msg="b3"),
        ev(EventType.MUNICIPALITY_NOTIFIED, "B", day + timedelta(hours=1), notice, unit=WARD, msg="b4"),
        ev(EventType.MUNICIPALITY_RESPONDED, "B", day + timedelta(hours=2), answer, unit=WARD, msg="b5"),
    ]


def expected_sa05(events: list[Event]) -> tuple[int, float]:
    """Overliggedøgn and NOK of kommune 5037 from the pure core, with the clock at the watermark events."""
    engine = Engine(load_masterdata())
    latest: dict[str, Any] = {}
    effects: list[Any] = []
    for event in sorted(events, key=lambda e: e.occurred_at):
        effects += engine.apply(event) + engine.advance(
            max(engine.clock or event.occurred_at, event.occurred_at)
        )
    effects += engine.advance(T0 + timedelta(days=3))
    for effect in effects:
        if isinstance(effect, AvvikUpsert) and effect.record.code == "SA05":
            latest[effect.record.avvik_id] = effect.record
    records = [r for r in latest.values() if r.kommunenummer == "5037" and r.status.value != "RETRACTED"]
    return sum(r.days or 0 for r in records), float(sum(r.amount_nok or 0 for r in records))


class Prometheus:
    """A Prometheus server child process with its own config and TSDB directory."""

    def __init__(self, binary: str, workdir: Path, target_port: int) -> None:
        self.port = free_port()
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  scrape_timeout: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            f"  - job_name: {JOB}\n"
            "    metrics_path: /metrics\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{target_port}']\n",
            encoding="utf-8",
        )
        self.log = workdir / "prometheus.log"
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until ``/-/ready`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"prometheus not ready after {timeout}s; log: {self.log}")

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Result vector of an instant PromQL query (``/api/v1/query``)."""
        response = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5)
        response.raise_for_status()
        body = response.json()
        assert body["status"] == "success", body
        assert body["data"]["resultType"] == "vector", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def scalar(self, expr: str) -> float | None:
        """The single value of ``expr``, or None when the vector is empty."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr} gave {len(result)} series"
        return float(result[0]["value"][1]) if result else None

    def wait_value(
        self, expr: str, ok: Callable[[float | None], bool], timeout: float = 60.0
    ) -> float | None:
        """Poll ``expr`` until ``ok(value)`` holds or ``timeout``; return the last value."""
        deadline = time.monotonic() + timeout
        value = self.scalar(expr)
        while not ok(value) and time.monotonic() < deadline:
            time.sleep(0.5)
            value = self.scalar(expr)
        return value

    def wait_all(self, expected: dict[str, float], timeout: float) -> dict[str, float | None]:
        """Poll every expression until all give their expected value or ``timeout``; return the answers."""
        deadline = time.monotonic() + timeout
        while True:
            answers = {expr: self.scalar(expr) for expr in expected}
            if answers == expected or time.monotonic() > deadline:
                return answers
            time.sleep(0.5)

    def stop(self) -> int:
        """SIGTERM the server and wait for a clean exit (kill if it hangs); return the exit code."""
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    return self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
                    return -9
            return self.proc.returncode
        finally:
            self._out.close()


def worker_metrics(port: int) -> str:
    """The worker's own hub_* samples (shown when an answer differs)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return "\n".join(line for line in text.splitlines() if line.startswith("hub_") and "_bucket" not in line)


@pytest.fixture
def prometheus_binary() -> str:
    """Path of the Prometheus server (Debian package `prometheus`)."""
    return find_tool("prometheus", "scripts/ci-prometheus.sh")


@pytest.fixture
def worker(infra: HubSettings, tmp_path: Path) -> Iterator[tuple[HubSettings, WorkerProcess]]:
    """A ready worker on private topics, with its settings."""
    settings = private_settings(infra, tmp_path)
    # a fresh app id: the faust changelog topics (named after it) must not restore another run's tables
    process = WorkerProcess(settings, f"prom-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log")
    try:
        process.wait_ready()
        yield settings, process
    finally:
        process.stop()


def test_prometheus_scrapes_the_worker(
    prometheus_binary: str, worker: tuple[HubSettings, WorkerProcess], tmp_path: Path
) -> None:
    """Prometheus scrapes the worker; PromQL gives the scenario's avvik, bed, ambulance and SA05 figures."""
    settings, process = worker
    events = scenario() + extra_events()
    days, nok = expected_sa05(events)
    assert days > 0
    produce_events(settings, sorted(events, key=lambda e: e.occurred_at))
    for partition, event in watermark_events(settings.topics.partitions):
        produce_events(settings, [event], partition=partition)

    prom = Prometheus(prometheus_binary, tmp_path, process.port)
    try:
        prom.wait_ready()
        assert prom.wait_value(f'up{{job="{JOB}"}}', lambda v: v == 1) == 1

        checks: dict[str, float] = {
            'sum(hub_avvik_opened_total{code="SA01"})': 1,
            'sum(hub_avvik_open{code="SA01", helsefellesskap="HF-HNT"})': 1,
            f'hub_beds_occupied{{unit="{WARD}"}}': 2,
            f'hub_beds_capacity{{unit="{WARD}"}}': 28,
            'sum(hub_utskrivningsklare_in_hospital{oppholdskommune="5037"})': 1,
            'sum(hub_overliggedogn{oppholdskommune="5037"})': days,
            'sum(hub_betalingsplikt_nok{oppholdskommune="5037"})': nok,
            'sum(hub_ambulance_missions_total{hastegrad="AKUTT", area="TETTSTED"})': 1,
            'sum(hub_ambulance_missions_within_target_total{hastegrad="AKUTT", area="TETTSTED"})': 1,
            'sum(hub_ambulance_response_seconds_sum{hastegrad="AKUTT"})': 600,
            "hub_worker_ready": 1,
        }
        answers = prom.wait_all(checks, timeout=120)
        assert answers == checks, worker_metrics(process.port)

        # a rate over a counter that may have no series yet: `or vector(0)` makes it always a number
        dlq = prom.scalar("sum(rate(hub_dlq_records_total[1m])) or vector(0)")
        assert dlq is not None
        assert dlq >= 0
    finally:
        assert prom.stop() == 0, prom.log.read_text()
