"""MLLP ingest throughput against the real local broker, with ACK-after-write.

Starts ``hub connector hl7`` as a subprocess (raw and dead-letter topics redirected to fresh bench topics),
starting the local broker and registry first when they are not running (and stopping them afterwards),
then sends N synthetic ADT A01 messages: first sequentially over one connection, then over K concurrent
connections; every message waits for its ACK (which the connector sends only after Kafka acknowledged the
raw write). Prints messages/s and ACK latency percentiles.

    .venv/bin/python -m bench.mllp_ingest --messages 2000 --connections 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from connectors.hl7v2.mllp import FrameDecoder, frame
from hub import infra as services
from hub.settings import load_settings
from tests.connectors.hl7v2.hl7_samples import adt, synthetic_number

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _numbers(count: int) -> list[str]:
    born = date(1930, 1, 1)
    return [synthetic_number(born + timedelta(days=37 * i)) for i in range(count)]


async def _client(port: int, payloads: list[bytes], latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = FrameDecoder()
    accepted = 0
    try:
        for payload in payloads:
            start = time.perf_counter()
            writer.write(frame(payload))
            await writer.drain()
            acks: list[bytes] = []
            while not acks:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionError("connector closed the connection")
                acks = [f.payload for f in decoder.feed(data)]
            latencies.append(time.perf_counter() - start)
            accepted += b"MSA|AA|" in acks[0]
    finally:
        writer.close()
        await writer.wait_closed()
    return accepted


def _report(label: str, n: int, elapsed: float, accepted: int, latencies: list[float]) -> tuple[float, float]:
    """Print one phase; return (messages/s, ACK p50 ms)."""
    lat = sorted(latencies)
    p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    mean = statistics.mean(lat) * 1000
    print(
        f"{label:<28} {n:>6} msgs  {elapsed:7.2f} s  {n / elapsed:8.1f} msg/s  "
        f"AA {accepted}/{n}  ack p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  mean {mean:6.2f} ms"
    )
    return n / elapsed, p50


async def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"connector exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError("connector did not start listening")


async def run(messages: int, connections: int) -> None:
    """Start the connector, run both phases, stop the connector."""
    port = _free_port()
    run_id = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "HUB_TOPICS__RAW_HL7V2": f"bench.raw.hl7v2.{run_id}",
        "HUB_TOPICS__DLQ": f"bench.dlq.{run_id}",
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_WEB__WORKER_PORT": str(_free_port()),
    }
    cmd = [str(REPO / ".venv" / "bin" / "hub"), "connector", "hl7", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)  # noqa: ASYNC220 - our own CLI, started once
    try:
        await _wait_for_port(port, proc)
        numbers = _numbers(50)
        warm = [adt(control_id=f"W-{run_id}-{i}", number=numbers[i % 50]) for i in range(50)]
        if await _client(port, warm, []) != len(warm):
            raise RuntimeError("warm-up messages were not all acknowledged AA: is the broker reachable?")
        seq = [adt(control_id=f"S-{run_id}-{i}", number=numbers[i % 50]) for i in range(messages)]
        latencies: list[float] = []
        start = time.perf_counter()
        accepted = await _client(port, seq, latencies)
        one, one_p50 = _report(
            "sequential, 1 connection", messages, time.perf_counter() - start, accepted, latencies
        )

        per = messages // connections
        batches = [
            [adt(control_id=f"C-{run_id}-{c}-{i}", number=numbers[(c + i) % 50]) for i in range(per)]
            for c in range(connections)
        ]
        latencies = []
        start = time.perf_counter()
        results = await asyncio.gather(*(_client(port, b, latencies) for b in batches))
        label = f"concurrent, {connections} connections"
        many, many_p50 = _report(
            label, per * connections, time.perf_counter() - start, sum(results), latencies
        )
        print(
            f"RESULT bench=mllp_ingest messages={messages} one_conn_msgs={one:.0f} "
            f"one_conn_p50_ms={one_p50:.2f} connections={connections} many_conn_msgs={many:.0f} "
            f"many_conn_p50_ms={many_p50:.2f}"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    settings = load_settings()
    started = services.ensure_up(settings.infra, registry=True)
    try:
        asyncio.run(run(args.messages, args.connections))
    finally:
        if started:
            services.down(settings.infra, services=[s for s in services.ALL if s.name in started])
    sys.exit(0)


if __name__ == "__main__":
    main()
