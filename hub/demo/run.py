"""Run the whole hub on a synthetic region: the README's main job.

Order: local Kafka + registry (``hub infra``, cached after the first run) → topics → worker (wall clock) →
connectors (HL7 MLLP, FHIR, PLO, ambulance, KPR) → live board → simulator sending through the connectors'
protocols. Ctrl-C (or ``duration_s``) stops everything in reverse order; services this run started are
stopped too unless ``keep_infra``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import structlog

from hub import infra as services
from hub.demo.processes import Child, Children
from hub.demo.supervise import check_children, watch
from hub.infra import registry as registry_service
from hub.kafka.topics import ensure_topics
from hub.ops.evolution import publish_topic_schemas
from hub.settings import HubSettings, settings_env

log = structlog.get_logger(__name__)


@dataclass
class DemoOptions:
    """What the demo simulates and for how long."""

    speed: float = 600.0
    seed: int = 1
    helsefellesskap: str = "HF-HNT"
    deviation_share: float = 0.15
    duration_s: float | None = None
    keep_infra: bool = False
    board_port: int | None = None
    start: datetime | None = None
    history_days: float = 3.0
    """Without ``start``: simulate from this many days ago, fast-forwarded until it reaches now, then live."""


def with_local_services(settings: HubSettings) -> HubSettings:
    """Settings pointing at the broker and registry that ``hub infra`` runs."""
    return settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(
                update={"bootstrap_servers": f"127.0.0.1:{settings.infra.kafka_port}"}
            ),
            "registry": settings.registry.model_copy(update={"url": registry_service.url(settings.infra)}),
        }
    )


def _children(settings: HubSettings, logs: Path) -> list[Child]:
    web = settings.web
    return [
        Child(
            "worker",
            ["worker", "--clock", "wall", "--tick-interval", "2"],
            web.worker_port,
            logs / "worker.log",
        ),
        # connectors serve /metrics on the next ports (deploy/prometheus/prometheus.yml uses the same)
        Child("hl7", ["connector", "hl7"], web.mllp_port, logs / "hl7.log", web.worker_port + 1),
        Child("fhir", ["connector", "fhir"], web.fhir_port, logs / "fhir.log", web.worker_port + 2),
        Child("plo", ["connector", "plo"], web.plo_port, logs / "plo.log", web.worker_port + 3),
        Child(
            "ambulance",
            ["connector", "ambulance"],
            web.ambulance_port,
            logs / "ambulance.log",
            web.worker_port + 4,
        ),
        Child("kpr", ["connector", "kpr"], web.kpr_port, logs / "kpr.log", web.worker_port + 5),
    ]


async def _first_data(board_url: str, started: float, say: Callable[[str], None]) -> None:
    """Report once the board shows data (for the "time to first data" figure)."""
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            await asyncio.sleep(1)
            try:
                snap = (await client.get(f"{board_url}api/snapshot")).json()
            except (httpx.HTTPError, ValueError):
                continue
            if _has_data(snap):
                say(f"board shows live data {time.monotonic() - started:.0f} s after start")
                return


def _has_data(snapshot: object) -> bool:
    """True when the board's totals show beds in use or avvik."""
    totals = snapshot.get("totals") if isinstance(snapshot, dict) else None
    if not isinstance(totals, dict):
        return False
    return bool(totals.get("occupied") or totals.get("open_avvik") or totals.get("units"))


async def _until(stop: asyncio.Event) -> object:
    return await stop.wait()


def _announce(settings: HubSettings, board_url: str, logs: Path, say: Callable[[str], None]) -> None:
    web = settings.web
    say("")
    say(f"  Live board:      {board_url}")
    say(f"  Worker metrics:  http://{web.host}:{web.worker_port}/metrics  (/healthz, /readyz)")
    say(
        f"  Connectors:      HL7 MLLP {web.host}:{web.mllp_port}, FHIR :{web.fhir_port}, "
        f"PLO :{web.plo_port}, ambulance :{web.ambulance_port}, KPR :{web.kpr_port}"
    )
    say(f"  Logs:            {logs}")
    say("  Ctrl-C stops everything.")
    say("")


async def run_demo(  # noqa: PLR0915 - the start-up sequence reads best in one place
    settings: HubSettings, options: DemoOptions, say: Callable[[str], None], stop: asyncio.Event | None = None
) -> str | None:
    """Run the demo until ``stop`` is set, Ctrl-C, or ``options.duration_s`` passes.

    A child that dies is restarted a few times (:mod:`hub.demo.supervise`); returns why the demo stopped
    early when it had to give up on one (None after a normal stop).
    """
    from hub.board.server import start_board
    from hub.simulate.simulator import SimOptions, run_simulation

    started_at = time.monotonic()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    say("starting Kafka and the schema registry (first run downloads them from Maven Central) …")
    ours = await asyncio.to_thread(services.ensure_up, settings.infra, registry=True)
    settings = with_local_services(settings)
    await asyncio.to_thread(ensure_topics, settings)
    if settings.registry.url:  # subjects at BACKWARD_TRANSITIVE before any producer registers on first use
        await asyncio.to_thread(publish_topic_schemas, settings)
    say(f"Kafka {settings.kafka.bootstrap_servers}, registry {settings.registry.url}")

    logs = settings.infra.state_dir / "demo"
    children = Children()
    board = None
    sim_task: asyncio.Task[object] | None = None
    failed: str | None = None
    try:
        env = settings_env(settings)
        for child in _children(settings, logs):
            say(f"starting {child.name} …")
            await asyncio.to_thread(children.start, child, env, 120.0)
            # one that died while the next ones started is restarted now, not after all are up
            failed = await asyncio.to_thread(check_children, children, env, say)
            if failed is not None:
                say(failed)
                return failed
        board = await start_board(settings, port=options.board_port)
        _announce(settings, board.url, logs, say)
        sim = SimOptions(
            seed=options.seed,
            helsefellesskap=options.helsefellesskap,
            speed=options.speed,
            deviation_share=options.deviation_share,
            start=options.start or datetime.now(UTC) - timedelta(days=options.history_days),
            follow_wall_clock=options.start is None,
            census_days=30,  # start from a realistic census: patients already in beds, some waiting
        )
        sim_task = asyncio.create_task(run_simulation(settings, sim, stop))
        watcher = asyncio.create_task(_first_data(board.url, started_at, say))
        guard = asyncio.create_task(watch(children, env, stop, say))
        waiters: list[asyncio.Task[object]] = [asyncio.create_task(_until(stop))]
        if options.duration_s is not None:
            waiters.append(asyncio.create_task(asyncio.sleep(options.duration_s)))
        await asyncio.wait([*waiters, guard], return_when=asyncio.FIRST_COMPLETED)
        failed = guard.result() if guard.done() else None
        for task in [*waiters, watcher, guard]:
            task.cancel()
    finally:
        say("stopping …")
        stop.set()
        if sim_task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(sim_task, 15)
        if board is not None:
            await board.stop()
        await asyncio.to_thread(children.stop_all)
        if ours and not options.keep_infra:
            await asyncio.to_thread(
                services.down, settings.infra, services=[s for s in services.ALL if s.name in ours]
            )
        say("stopped")
    return failed
