"""Run real ``hub worker`` processes against the session broker on topics private to one test."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import TypeVar

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from pydantic import BaseModel

from agents.replay import committed_progress
from hub.events import Event
from hub.kafka.topics import ensure_topics
from hub.serde import codec_for
from hub.settings import HubSettings, TopicSettings, settings_env

M = TypeVar("M", bound=BaseModel)
REPO = Path(__file__).resolve().parents[2]


_HANDED_OUT: set[int] = set()


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (outgoing connections take their local port there)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(count: int = 1) -> int:
    """The first of ``count`` consecutive TCP ports nobody uses now, each handed out once per process.

    Below the ephemeral range: a port the kernel gives for ``bind(0)`` lies among the local ports of the
    outgoing connections (every Kafka client here has many), so one of its neighbours, or the port itself
    before the server binds it, can be taken by a new connection. The demo gives its connectors the worker
    port + 1 … + 5, and a fresh-clone suite failed when the HL7 connector found worker port + 1 taken.
    """
    high = _ephemeral_start()
    low = max(1024, high - 12_000)
    for _ in range(1000):
        base = random.randrange(low, high - count)
        ports = range(base, base + count)
        if not _HANDED_OUT.intersection(ports) and all(_bindable(p) for p in ports):
            _HANDED_OUT.update(ports)
            return base
    raise RuntimeError(f"no {count} free consecutive ports in {low}-{high}")


def private_settings(infra: HubSettings, tmp: Path, *, registry: bool = False) -> HubSettings:
    """Settings whose topic names, data dir and worker port belong to one test."""
    tag = uuid.uuid4().hex[:8]
    names = {
        f: f"t{tag}.{getattr(TopicSettings(), f)}"
        for f in TopicSettings.model_fields
        if f not in ("partitions", "replication_factor")
    }
    topics = TopicSettings(**names, partitions=3)
    settings = infra.model_copy(
        update={
            "topics": topics,
            "data_dir": tmp / "data",
            "registry": infra.registry if registry else infra.registry.model_copy(update={"url": None}),
            "web": infra.web.model_copy(update={"worker_port": free_port(2)}),
        }
    )
    ensure_topics(settings)
    return settings


class WorkerProcess:
    """A ``hub worker`` child process."""

    def __init__(
        self,
        settings: HubSettings,
        app_id: str,
        log: Path,
        *,
        port: int | None = None,
        data_dir: Path | None = None,
        clock: str = "event",
        bulk_restore_min_records: int | None = None,
    ) -> None:
        # app ids (consumer group, table changelogs) are unique to this test's topics: a rerun against the
        # same broker must not restore an earlier run's tables
        app_id = f"{settings.topics.events.split('.', 1)[0]}-{app_id}"
        self.app_id = app_id
        self.port = port or settings.web.worker_port
        env = settings_env(settings.model_copy(update={"log_level": "INFO"}))
        env["HUB_WEB__WORKER_PORT"] = str(self.port)
        if data_dir is not None:
            env["HUB_DATA_DIR"] = str(data_dir)
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hub.cli",
                "worker",
                "--app-id",
                app_id,
                "--clock",
                clock,
                "--tick-interval",
                "1",
                *(
                    ()
                    if bulk_restore_min_records is None
                    else ("--bulk-restore-min-records", str(bulk_restore_min_records))
                ),
            ],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Block until /readyz answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}; log: {self.log}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"worker not ready after {timeout}s; log: {self.log}")

    def kill(self) -> None:
        """SIGKILL the worker (a crash, no clean shutdown)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._out.close()

    def stop(self) -> None:
        """SIGTERM the worker and wait for it (kill if it hangs)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._out.close()


def produce_events(settings: HubSettings, events: list[Event], *, partition: int | None = None) -> None:
    """Write canonical events to the events topic (keyed like the normaliser keys them)."""
    codec = codec_for(settings, Event, settings.topics.events)
    # ordered: a retried batch after later ones reorders a patient's events (two recovery tests saw an
    # ambulance call land 256 offsets late and an SA12 open and retract that the reference never had)
    producer = Producer({**settings.kafka.ordered_producer_config(), "partitioner": "murmur2_random"})
    try:
        for event in events:
            kwargs = {} if partition is None else {"partition": partition}
            value = codec.encode(event)
            producer.produce(settings.topics.events, key=event.key.encode(), value=value, **kwargs)
    finally:
        codec.close()  # its registry client's connections
    assert producer.flush(30) == 0


def group_lag(settings: HubSettings, group: str, topics: list[str]) -> int:
    """Records of ``topics`` that consumer group ``group`` has not committed yet (without joining it)."""
    lag = 0
    for topic in topics:
        committed, end = committed_progress(settings, group, topic)
        lag += end - committed
    return lag


def wait_caught_up(
    settings: HubSettings, group: str, topics: list[str], *, timeout: float = 180.0, settle: float = 3.0
) -> None:
    """Block until ``group`` has committed every record of ``topics`` and stayed so for ``settle`` seconds
    (a worker's own outputs can add records, e.g. joined rejections); TimeoutError with the lag otherwise."""
    deadline = time.monotonic() + timeout
    caught_up_since: float | None = None
    lag = -1
    while time.monotonic() < deadline:
        lag = group_lag(settings, group, topics)
        now = time.monotonic()
        if lag > 0:
            caught_up_since = None
        elif caught_up_since is None:
            caught_up_since = now
        elif now - caught_up_since >= settle:
            return
        time.sleep(0.5)
    raise TimeoutError(f"group {group} still {lag} records behind on {topics} after {timeout:.0f} s")


def produce_raw(settings: HubSettings, topic: str, key: bytes, value: bytes) -> None:
    """Write one record to a topic."""
    producer = Producer(settings.kafka.ordered_producer_config())
    producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0


def read_all(
    settings: HubSettings, topic: str, model: type[M], *, expect: int, timeout: float = 60.0
) -> list[M]:
    """Every record on ``topic`` (tombstones skipped), read until ``expect`` records or ``timeout``."""
    codec = codec_for(settings, model, topic)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[M] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expect and time.monotonic() < deadline:
            msg = consumer.poll(0.25)
            if msg is None or msg.error() or not msg.value():
                continue
            records.append(codec.decode(msg.value() or b""))
    finally:
        consumer.close()
        codec.close()
    return records


def read_to_end(
    settings: HubSettings, topic: str, model: type[M], *, timeout: float = 60.0
) -> dict[str, M | None]:
    """The latest record per key on ``topic`` (None for tombstones): every partition read from its start up to
    the end offset it had when the read began. For outputs that are complete (their producer caught up): a
    read that stops on a quiet spell can miss a partition whose first fetch came late on a loaded machine."""
    codec = codec_for(settings, model, topic)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    latest: dict[str, M | None] = {}
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in meta.partitions
        }
        pending = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(pending)])
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{topic}: partitions {sorted(pending)} not read to their end in {timeout} s"
                )
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error():
                    raise RuntimeError(f"{topic}: {msg.error()}")
                key = (msg.key() or b"").decode()
                value = msg.value()
                latest[key] = codec.decode(value) if value else None
            for tp in consumer.position([TopicPartition(topic, p) for p in list(pending)]):
                if tp.offset >= ends[tp.partition]:
                    pending.discard(tp.partition)
    finally:
        consumer.close()
        codec.close()
    return latest


def read_latest(
    settings: HubSettings,
    topic: str,
    model: type[M],
    *,
    expect: int = 0,
    timeout: float = 60.0,
    quiet: float = 3.0,
) -> dict[str, M | None]:
    """The latest record per key on ``topic`` (None for tombstones), read until ``expect`` keys are seen
    and the topic has been quiet for ``quiet`` seconds, or ``timeout``."""
    codec = codec_for(settings, model, topic)
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    latest: dict[str, M | None] = {}
    deadline = time.monotonic() + timeout
    last_message = time.monotonic()
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.25)
            if msg is None or msg.error():
                if len(latest) >= expect and time.monotonic() - last_message > quiet:
                    break
                continue
            last_message = time.monotonic()
            key = (msg.key() or b"").decode()
            value = msg.value()
            latest[key] = codec.decode(value) if value else None
    finally:
        consumer.close()
        codec.close()
    return latest
