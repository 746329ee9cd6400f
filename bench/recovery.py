"""Benchmark: a worker with N patients in its pathway table is lost; a fresh worker on an empty state
directory restores the table from its changelog. Seconds from process start until ``/readyz`` answers 200.

    .venv/bin/python bench/recovery.py --patients 100000,1000000

1. Template states from the pure core: synthetic events (hub.synth) through one ``hub.domain.Engine``,
   advanced to the last event's time; every patient's ``PathwayState`` is a template.
2. The lost worker's changelog: ``<app id>-pathway-changelog`` filled directly with N table values
   (``agents.engines.encode_state``), the templates cloned under N distinct pseudonyms, keyed by pseudonym and
   partitioned as the worker's table partitions them: the changelog partition is the partition of the events
   it came from, murmur2 of the pseudonym (the value's ``"p"`` holds it). Loading N patients through a worker
   would take N × ~8 events at ~700 events/s. Uncompressed, as faust's producer writes it.
3. A fresh ``hub worker --clock event`` on an empty data dir: timed from process start to ``/readyz`` 200
   (``agents.web``: 200 only once faust's table recovery completed). Then checks that the table was restored
   (``/pathway/<pseudonym>`` of sampled clones answers their state) and, optionally (``--first-events``), the
   seconds until one new event on every partition is committed: the first event of a partition makes the
   worker rebuild its engines from a scan of the local table and re-emit the outputs of the restored
   patients changed at or after the group's committed offsets. With ``--lost-committed`` (the default) the
   lost worker had committed everything its values came from (each names events offset 0, and offset 1 is
   committed): none is re-emitted; ``--no-lost-committed``: values without positions, all re-emitted.
   With ``--compare`` (the default) the same changelog is first restored by a worker with the bulk fill off
   (``--bulk-restore-min-records 0``: faust's own recovery, the baseline), then by one with it
   (:mod:`agents.bulk_restore`), each on its own empty data dir; the ratio is printed.
Peak RSS of the worker from ``/proc/<pid>/status`` (VmHWM). Prints a last line ``RESULT bench=recovery ...``
per N. Uses the broker in HUB_KAFKA__BOOTSTRAP_SERVERS (default 127.0.0.1:9092); deletes its topics and data
dir afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka.partitioner import murmur2
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.engines import decode_state, encode_state
from agents.replay import committed_progress, load_events, replay_settings
from hub.domain import Engine, PathwayState
from hub.events import Event
from hub.kafka.topics import (
    TopicSpec,
    catalogue,
    changelog_name,
    confirm_topics,
    ensure_topics,
    worker_specs,
)
from hub.masterdata import load_masterdata
from hub.masterdata.model import MasterData
from hub.settings import HubSettings, load_settings, settings_env
from hub.synth.generator import SynthConfig, generate

PLACEHOLDER = "P" * 24
"""Stands for the pseudonym in an encoded template (real pseudonyms are 24 hex digits: same length)."""


@dataclass(frozen=True, slots=True)
class Template:
    """One encoded table value, split around its partition and its pseudonym."""

    head: bytes
    """The value's bytes after the partition digits up to the pseudonym."""
    tail: bytes
    """The value's bytes after the pseudonym."""

    def value(self, partition: int, pseudonym: str) -> bytes:
        """The table value of a clone of this state under ``pseudonym`` in ``partition``."""
        return b'{"p":' + str(partition).encode() + self.head + pseudonym.encode() + self.tail


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def partition_of(key: bytes, partitions: int) -> int:
    """The partition murmur2 gives ``key`` (librdkafka's murmur2_random, the Java clients, aiokafka)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


def pseudonym(seed: int, index: int) -> str:
    """The ``index``-th clone's pseudonym: 24 hex digits, like the hub's."""
    return hashlib.blake2b(f"bench-recovery-{seed}-{index}".encode(), digest_size=12).hexdigest()


def template_states(masterdata: MasterData, seed: int, events: int) -> list[PathwayState]:
    """The patients' states after one engine applied ``events`` synthetic events in time order."""
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        span_days=60,
        deviation_share=0.2,
        seed=seed,
    )
    engine = Engine(masterdata)
    ordered = sorted(generate(masterdata, config, events), key=lambda e: e.occurred_at)
    for event in ordered:
        engine.apply(event)
    engine.advance(ordered[-1].occurred_at)
    states = [s for e in ordered if e.patient and (s := engine.state(e.patient.pseudonym)) is not None]
    return list({s.pseudonym: s for s in states}.values())


def templates_of(states: list[PathwayState]) -> list[Template]:
    """Each state encoded once with a placeholder pseudonym, split for cloning."""
    made = []
    for state in states:
        clone = PathwayState.from_dict(state.to_dict())
        clone.pseudonym = PLACEHOLDER
        encoded = encode_state(0, clone)
        prefix = b'{"p":0'
        if not encoded.startswith(prefix) or encoded.count(PLACEHOLDER.encode()) != 1:
            raise SystemExit("encode_state changed its layout; update bench/recovery.py")
        head, tail = encoded[len(prefix) :].split(PLACEHOLDER.encode())
        made.append(Template(head, tail))
    return made


def fill_changelog(
    settings: HubSettings, topic: str, templates: list[Template], n: int, seed: int, *, positioned: bool
) -> tuple[int, list[str]]:
    """Write ``n`` cloned states to ``topic``; return (key + value bytes, pseudonyms sampled to check).
    ``positioned``: each value says it was written at offset 0 of its events partition (``"i"``)."""
    partitions = settings.topics.partitions
    producer = Producer(
        {
            **settings.kafka.confluent_config(),
            "partitioner": "murmur2_random",
            "linger.ms": 50,
            "batch.size": 1_000_000,
            "acks": "all",
        }
    )
    failures: list[str] = []

    def delivered(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            failures.append(str(err))

    rng = random.Random(seed)
    sample = set(rng.sample(range(n), min(n, 50)))
    sampled: list[str] = []
    total = 0
    for i in range(n):
        name = pseudonym(seed, i)
        key = name.encode()
        partition = partition_of(key, partitions)
        value = templates[i % len(templates)].value(partition, name)
        if positioned:
            value = value[:-1] + b',"i":[0,0]}'
        if i < 3:  # the clone decodes as the state it stands for
            assert decode_state(value)[0] == partition
            assert decode_state(value)[1].pseudonym == name
        if i in sample:
            sampled.append(name)
        total += len(key) + len(value)
        while True:
            try:
                # the explicit partition is the one murmur2_random would choose; the check below proves it
                producer.produce(topic, key=key, value=value, partition=partition, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(300) != 0 or failures:
        raise SystemExit(f"changelog not written: {failures[:1] or 'flush timed out'}")
    check_topic = topic + ".partitioner-check"
    ensure_topics(settings, [TopicSpec(check_topic, partitions, (("retention.ms", "3600000"),))])
    confirm_topics(settings, [TopicSpec(check_topic, partitions, ())])
    check = Producer({**settings.kafka.confluent_config(), "partitioner": "murmur2_random"})
    wrong: list[str] = []

    def compare(err: KafkaError | None, msg: Message) -> None:
        key = msg.key() or b""
        if err is None and msg.partition() != partition_of(key, partitions):
            wrong.append(key.decode())

    for name in sampled:  # same keys without a partition: the client's murmur2 must agree with ours
        check.produce(check_topic, key=name.encode(), value=b"", on_delivery=compare)
    check.flush(30)
    if wrong:
        raise SystemExit(f"murmur2 partitions differ from librdkafka's for {len(wrong)} keys")
    return total, sampled


def commit_history(settings: HubSettings, app_id: str, masterdata: MasterData, seed: int) -> None:
    """What the lost worker had processed and committed: one event per events partition, at offset 0 (the
    offset each table value names), committed for the group."""
    history = first_events(settings, masterdata, seed + 100)
    load_events(settings, history)
    consumer = Consumer(
        {**settings.kafka.confluent_config(), "group.id": app_id, "enable.auto.commit": False}
    )
    try:
        done = [TopicPartition(settings.topics.events, p, 1) for p in range(settings.topics.partitions)]
        consumer.commit(offsets=done, asynchronous=False)
    finally:
        consumer.close()


def first_events(settings: HubSettings, masterdata: MasterData, seed: int) -> list[Event]:
    """One synthetic event of a new patient on every partition."""
    config = SynthConfig(start=datetime(2024, 3, 1, tzinfo=UTC), span_days=5, seed=seed + 1)
    chosen: dict[int, Event] = {}
    for event in generate(masterdata, config, 2000):
        if event.patient is None:
            continue
        chosen.setdefault(partition_of(event.key.encode(), settings.topics.partitions), event)
        if len(chosen) == settings.topics.partitions:
            break
    return list(chosen.values())


@dataclass
class Measured:
    """What one run measured."""

    n: int
    changelog_bytes: int
    ready_s: float = 0.0
    first_s: float | None = None
    peak_rss_mb: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    faust: Measured | None = None
    """The same restore by faust's recovery alone (``--compare``)."""


class FreshWorker:
    """A ``hub worker --clock event`` on an empty data dir, with a static dev token for ``/pathway``."""

    def __init__(self, settings: HubSettings, app_id: str, *, bulk: bool = True) -> None:
        self.settings = settings
        self.app_id = app_id
        self.port = settings.web.worker_port
        self.token = secrets.token_urlsafe(32)
        self.log_path = settings.data_dir / "worker.log"
        env = settings_env(settings.model_copy(update={"log_level": "INFO"}))
        env["HUB_WEB__API_TOKENS"] = f'{{"bench": "{self.token}"}}'
        self._log = self.log_path.open("ab")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                *("-m", "hub.cli", "worker", "--clock", "event", "--app-id", app_id),
                *(() if bulk else ("--bulk-restore-min-records", "0")),
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> None:
        """Stop the benchmark if the worker died."""
        if self.proc.poll() is not None:
            raise SystemExit(f"worker exited with {self.proc.returncode}; see {self.log_path}")

    def wait_ready(self, timeout: float) -> float:
        """Seconds from process start until /readyz answers 200."""
        with httpx.Client(timeout=1.0) as client:
            while True:
                self.alive()
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/readyz").status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                if time.perf_counter() - self.started > timeout:
                    raise SystemExit(f"worker not ready after {timeout:.0f} s; see {self.log_path}")
                time.sleep(0.1)

    def restored(self, pseudonyms: list[str]) -> int:
        """How many of ``pseudonyms`` the worker's table holds (``/pathway``)."""
        found = 0
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=10.0, headers=headers) as client:
            for name in pseudonyms:
                response = client.get(f"http://127.0.0.1:{self.port}/pathway/{name}")
                if response.status_code == 200 and response.json().get("p") == name:
                    found += 1
        return found

    def wait_committed(self, total: int, timeout: float) -> float:
        """``perf_counter`` once the worker has committed ``total`` offsets of the events topic."""
        deadline = time.perf_counter() + timeout
        while True:
            self.alive()
            done, _ = committed_progress(self.settings, self.app_id, self.settings.topics.events)
            if done >= total:
                return time.perf_counter()
            if time.perf_counter() > deadline:
                raise SystemExit(f"first events not committed within {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.2)

    def peak_rss_mb(self) -> float:
        """VmHWM of the worker in MiB (0 when gone)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def stop(self) -> None:
        """SIGTERM the worker's process group (SIGKILL if it hangs)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def restore(
    target: HubSettings,
    app_id: str,
    sampled: list[str],
    run: Measured,
    args: argparse.Namespace,
    *,
    bulk: bool = True,
) -> None:
    """Start a fresh worker, time it to ready, check the restore, time the first events (with ``bulk``:
    the worker fills its tables from the changelogs before faust starts; without: faust's recovery only,
    and no first events, so the changelog stays as it was for the run after)."""
    target.data_dir.mkdir(parents=True, exist_ok=True)
    worker = FreshWorker(target, app_id, bulk=bulk)
    label = "ready" if bulk else "faust"
    try:
        run.ready_s = worker.wait_ready(args.timeout)
        print(
            f"{label:<9} /readyz 200 after {run.ready_s:.1f} s from process start "
            f"({run.n / run.ready_s:.0f} restored records/s); peak RSS {worker.peak_rss_mb():.0f} MiB"
        )
        found = worker.restored(sampled)
        print(f"check     {found}/{len(sampled)} sampled clones answered by /pathway after recovery")
        if found != len(sampled):
            raise SystemExit(f"the table was not restored (see {worker.log_path})")
        if args.first_events and bulk:
            events = first_events(target, load_masterdata(target.masterdata_dir), args.seed)
            sent = time.perf_counter()
            load_events(target, events)
            already = target.topics.partitions if args.lost_committed else 0
            run.first_s = worker.wait_committed(already + len(events), args.timeout) - sent
            print(
                f"first     {len(events)} new events (one per partition) committed {run.first_s:.1f} s "
                "after they were sent (engine rebuild from the table + re-emitted outputs)"
            )
        run.peak_rss_mb = worker.peak_rss_mb()
    finally:
        worker.stop()
    run.phases = log_phases(worker.log_path)


def run_one(base: HubSettings, n: int, args: argparse.Namespace, masterdata: MasterData) -> Measured:
    """Fill, restore, measure and print for ``n`` patients."""
    app_id = f"bench.rec.{uuid.uuid4().hex[:8]}"
    target = replay_settings(base, app_id, args.partitions)
    target = target.model_copy(update={"web": target.web.model_copy(update={"worker_port": free_port()})})
    target.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_topics(target)
    ensure_topics(target, worker_specs(app_id, args.partitions))
    topic = changelog_name(app_id, "pathway")
    templates = templates_of(template_states(masterdata, args.seed, args.template_events))
    t0 = time.perf_counter()
    nbytes, sampled = fill_changelog(target, topic, templates, n, args.seed, positioned=args.lost_committed)
    if args.lost_committed:
        commit_history(target, app_id, masterdata, args.seed)
    print(
        f"changelog {topic}: {n} patients ({len(templates)} template states), {nbytes / 1e6:.1f} MB "
        f"(key + value, {nbytes / max(n, 1):.0f} B/patient), {args.partitions} partitions, "
        f"written in {time.perf_counter() - t0:.1f} s"
    )
    run = Measured(n, nbytes)
    base_dir = target.data_dir
    try:
        if args.compare:
            run.faust = Measured(n, nbytes)
            faust_only = target.model_copy(update={"data_dir": base_dir / "faust-only"})
            restore(faust_only, app_id, sampled, run.faust, args, bulk=False)
        restore(target.model_copy(update={"data_dir": base_dir / "bulk"}), app_id, sampled, run, args)
    finally:
        if not args.keep:
            cleanup(target.model_copy(update={"data_dir": base_dir}), app_id, topic)
    return run


def report(run: Measured, partitions: int) -> None:
    """The phases from the log and the RESULT line."""
    extra = f" first_events_s={run.first_s:.1f}" if run.first_s is not None else ""
    if (read_s := run.phases.get("restore_s")) is not None:
        print(
            f"log       faust read the changelogs in {read_s:.1f} s "
            f"({run.n / max(read_s, 1e-9):.0f} records/s); the rest of start-up {run.ready_s - read_s:.1f} s"
        )
        extra += f" changelog_read_s={read_s:.1f}"
    if (again := run.phases.get("reemitted")) is not None:
        print(f"log       outputs re-emitted for {again:.0f} restored patients (of {run.n})")
        extra += f" reemitted={again:.0f}"
    if (bulk_s := run.phases.get("bulk_s")) is not None:
        print(f"log       bulk fill of the tables before faust started: {bulk_s:.1f} s")
        extra += f" bulk_fill_s={bulk_s:.1f}"
    if run.faust is not None:
        ratio = run.faust.ready_s / run.ready_s
        alone = run.faust.ready_s
        print(f"compare   faust's recovery alone {alone:.1f} s; with the bulk fill {ratio:.1f}x as fast")
        extra += f" faust_only_s={run.faust.ready_s:.1f} speedup={ratio:.2f}"
    print(
        f"RESULT bench=recovery n={run.n} seconds={run.ready_s:.1f} records_per_s={run.n / run.ready_s:.0f} "
        f"changelog_mb={run.changelog_bytes / 1e6:.1f} partitions={partitions} "
        f"peak_rss_mb={run.peak_rss_mb:.0f}{extra}"
    )


def log_phases(log: Path) -> dict[str, float]:
    """From the worker's log: seconds faust spent reading the changelogs (``restore_s``), and the patients
    whose outputs the worker re-emitted after the restore (``reemitted``)."""
    stamps: dict[str, datetime] = {}
    reemitted = 0
    rebuilt = 0
    seen = False
    bulk_seconds: list[float] = []
    for raw in log.read_text(errors="replace").splitlines():
        line = raw.replace("\x1b[?25h", "").replace("\x1b[?25l", "")
        for marker, name in (
            ("Restoring state from changelog topics", "start"),
            ("Done reading from changelog topics", "done"),
        ):
            if marker in line and name not in stamps:
                stamps[name] = datetime.fromisoformat(line.split()[0])
        if "worker.bulk_restored" in line:
            phases_bulk = [w for w in line.split() if w.startswith("seconds=")]
            if phases_bulk:
                stamps_bulk = float(phases_bulk[0].split("=")[1])
                bulk_seconds.append(stamps_bulk)
        if "engines rebuilt" in line:
            rebuilt += sum(int(w.split("=")[1]) for w in line.split() if w.startswith("to_re_emit="))
            seen = True
            continue
        if "outputs re-emitted after restore" in line:
            seen = True
            reemitted += sum(int(w.split("=")[1]) for w in line.split() if w.startswith("patients="))
    phases: dict[str, float] = {}
    if "start" in stamps and "done" in stamps:
        phases["restore_s"] = (stamps["done"] - stamps["start"]).total_seconds()
    if seen:
        phases["reemitted"] = float(max(reemitted, rebuilt))
    if bulk_seconds:
        phases["bulk_s"] = bulk_seconds[0]
    return phases


def cleanup(settings: HubSettings, app_id: str, changelog: str) -> None:
    """Delete this run's topics and data dir (a 1 M-patient changelog is gigabytes)."""
    names = [s.name for s in catalogue(settings.topics)]
    names += [s.name for s in worker_specs(app_id, settings.topics.partitions)]
    names.append(changelog + ".partitioner-check")
    admin = AdminClient(dict(settings.kafka.confluent_config()))
    existing = set(admin.list_topics(timeout=30).topics)
    doomed = [n for n in names if n in existing and n.startswith(app_id)]
    if doomed:
        for future in admin.delete_topics(doomed, operation_timeout=60).values():
            try:
                future.result()
            except KafkaException as exc:
                print(f"topic not deleted: {exc}")
    shutil.rmtree(settings.data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", default="100000", help="comma list, e.g. 100000,1000000")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--template-events", type=int, default=4000, help="synthetic events, templates")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for each phase")
    parser.add_argument(
        "--first-events",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time one new event per partition after ready",
    )
    parser.add_argument("--keep", action="store_true", help="keep the topics and the data dir")
    parser.add_argument(
        "--lost-committed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the lost worker had committed the input its table values came from (they name offset 0, "
        "committed): the fresh worker re-emits none of them; without: no positions, all re-emitted",
    )
    parser.add_argument(
        "--compare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="first restore with faust's recovery alone (the baseline), then with the bulk fill",
    )
    args = parser.parse_args()
    sizes = [int(p.replace("_", "")) for p in args.patients.split(",") if p.strip()]

    settings = load_settings()
    settings = settings.model_copy(update={"registry": settings.registry.model_copy(update={"url": None})})
    masterdata = load_masterdata(settings.masterdata_dir)
    for n in sizes:
        report(run_one(settings, n, args, masterdata), args.partitions)


if __name__ == "__main__":
    main()
