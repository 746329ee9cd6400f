"""The simulator against the real connector servers (in-process, in-memory sink), its clock and retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from connectors.common.sink import MemorySink
from hub.masterdata.load import load_masterdata
from hub.settings import HubSettings
from hub.simulate import SimOptions, run_simulation
from hub.simulate.clock import SimClock
from hub.simulate.message import Outgoing, Protocol
from hub.simulate.senders import Answer, Delivery, RetryPolicy, deliver
from hub.simulate.simulator import messages
from hub.simulate.stats import Outcome
from tests.simulate.servers import connectors

START = datetime(2024, 3, 1, tzinfo=UTC)
RAW = {
    Protocol.HL7: "samhandling.raw.hl7v2",
    Protocol.PLO: "samhandling.raw.plo",
    Protocol.AMBULANCE: "samhandling.raw.ambulance",
    Protocol.KPR: "samhandling.raw.kpr",
}


def _options(**kwargs: object) -> SimOptions:
    base: dict[str, object] = {
        "seed": 5,
        "speed": 1e7,
        "deviation_share": 0.3,
        "start": START,
        "duration": timedelta(days=4),
        "events_per_day": 150.0,
    }
    base.update(kwargs)
    return SimOptions(**base)  # type: ignore[arg-type]


async def test_simulation_is_acknowledged_by_every_connector(settings: HubSettings) -> None:
    """A few simulated days reach all four connectors, every message is acknowledged and written raw."""
    sink = MemorySink()
    async with connectors(settings, sink) as live:
        stats = await run_simulation(live, _options())
    for protocol, topic in RAW.items():
        counters = stats.per_protocol[protocol]
        assert counters.sent > 0, protocol
        assert counters.acked == counters.sent, (protocol, counters)
        assert counters.rejected == counters.failed == counters.short == 0
        assert len(sink.on(topic)) == counters.acked, protocol
    assert sink.on(settings.topics.dlq) == []


async def test_limit_stops_after_that_many_messages(settings: HubSettings) -> None:
    """--limit sends exactly that many messages."""
    sink = MemorySink()
    async with connectors(settings, sink) as live:
        stats = await run_simulation(live, _options(limit=25))
    assert stats.sent == 25
    assert len(sink.records) == 25


async def test_stop_event_ends_the_run(settings: HubSettings) -> None:
    """Setting ``stop`` ends a real-time run promptly, before the next due message."""
    stop = asyncio.Event()
    stop.set()
    stats = await run_simulation(settings, _options(speed=1.0, start=START), stop)
    assert stats.sent == 0


def test_same_seed_gives_the_same_messages() -> None:
    """Two plans with the same seed and start render byte-identical messages; another seed differs."""
    md = load_masterdata()

    def first(seed: int) -> list[tuple[datetime, str, bytes]]:
        _planner, out = messages(_options(seed=seed), md, START)
        return [(m.at, m.kind, m.payload) for _, m in zip(range(300), out, strict=False)]

    assert first(5) == first(5)
    assert first(5) != first(6)


def test_messages_are_in_time_order_and_all_protocols_occur() -> None:
    """The plan is ordered by simulated time and uses all four protocols."""
    _planner, out = messages(_options(), load_masterdata(), START)
    plan = list(out)
    assert [m.at for m in plan] == sorted(m.at for m in plan)
    assert {m.protocol for m in plan} == set(Protocol)


def test_clock_runs_speed_times_faster() -> None:
    """The clock maps simulated time to real seconds by ``speed`` from its start."""
    now = [100.0]
    clock = SimClock(START, 600.0, monotonic=lambda: now[0])
    assert clock.delay_until(START + timedelta(minutes=10)) == pytest.approx(1.0)
    now[0] += 0.5
    assert clock.now() == START + timedelta(minutes=5)
    assert clock.delay_until(START) == 0.0


class _Scripted:
    """A sender answering from a script."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers
        self.calls = 0

    async def send(self, message: Outgoing) -> Answer:
        self.calls += 1
        return self.answers[min(self.calls - 1, len(self.answers) - 1)]

    async def close(self) -> None:
        return None


MESSAGE = Outgoing(START, Protocol.PLO, "EPIKRISE", "m1", b"<x/>", ())
FAST = RetryPolicy(attempts=3, first_backoff=0.001, max_backoff=0.002)


async def test_transient_failures_are_retried() -> None:
    """Transient answers are retried with backoff until the connector acknowledges."""
    sender = _Scripted([Answer(None, "503"), Answer(None, "503"), Answer(Outcome.ACKED)])
    assert await deliver(sender, MESSAGE, FAST) == Delivery(Outcome.ACKED, 2)


async def test_giving_up_is_counted_and_logged() -> None:
    """A message still failing after every attempt is FAILED and logged as an error, not dropped silently."""
    with capture_logs() as logs:
        done = await deliver(_Scripted([Answer(None, "down")]), MESSAGE, FAST)
    assert done.outcome is Outcome.FAILED
    assert any(entry["log_level"] == "error" for entry in logs)


async def test_rejections_are_logged_not_retried() -> None:
    """A negative answer is counted as REJECTED after one attempt and logged as a warning."""
    sender = _Scripted([Answer(Outcome.REJECTED, "HTTP 422")])
    with capture_logs() as logs:
        assert await deliver(sender, MESSAGE, FAST) == Delivery(Outcome.REJECTED, 0)
    assert sender.calls == 1
    assert any(entry["log_level"] == "warning" for entry in logs)


async def test_kpr_times_ahead_of_the_connector_clock_are_counted(settings: HubSettings) -> None:
    """KPR records later than the connector's clock map to no event; the simulator counts them as short."""
    sink = MemorySink()
    future = datetime.now(UTC) + timedelta(days=30)
    async with connectors(settings, sink) as live:
        stats = await run_simulation(live, _options(start=future, duration=timedelta(days=2)))
    kpr = stats.per_protocol[Protocol.KPR]
    assert kpr.sent > 0
    assert kpr.short == kpr.sent
