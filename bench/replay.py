"""Benchmark: events/second through the whole stream pipeline, beside a plain Kafka baseline in the same run.

    .venv/bin/python bench/replay.py --events 20000

1. Generates N synthetic canonical events (hub.synth) and loads them into a fresh events topic.
2. Pipeline: a real ``hub worker`` (faust: pathway agent with RocksDB table + changelog, avvik / state /
   bed outputs, beds agent) in event-time mode; measured from its first committed offset to the last
   (start-up and table recovery excluded, reported separately).
3. Batch replay: ``hub replay``'s driver (agents.batch_replay): the partition processors on confluent-kafka
   in batches, one process per CPU, until every event and internal record is committed (start-up included).
4. Baseline: a plain confluent-kafka loop over the same topic: consume → Avro decode → Avro encode →
   produce, no domain logic.
5. Matched: a confluent-kafka loop that reads and writes what the pipeline does, with no domain logic. What
   each run wrote is counted first (end offsets before and after, every record read back): records per event
   and bytes per record of each output topic (avvik, pathway state, bed metrics, dead letters, completed
   rejections back on the events topic, the internal bed-segment and rejection topics and, for the worker,
   the table changelogs). The loop consumes the events (Avro decode), produces per event that many records
   (real records of that topic, cycled: same keys, sizes and compressibility) to mirror topics of the same
   partition count, consumes the mirrors of the internal topics back (the pipeline reads them), and commits
   every 2 s after a flush, with the batch replay's producer and consumer settings. One process. Run once
   with the worker's profile (``matched_eps``) and once with the batch replay's (``matched_batch_eps``).
Prints the rates and their ratios to the baseline and to the matched loop, and a last line
``RESULT bench=replay ...``.
Uses the broker in HUB_KAFKA__BOOTSTRAP_SERVERS (default 127.0.0.1:9092).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.batch_replay import run_batch_replay
from agents.replay import committed_progress, load_events, prepare, replay_settings, worker_env
from hub.events import Event
from hub.kafka.topics import TopicSpec, changelog_name, confirm_topics, ensure_topics, worker_specs
from hub.masterdata import load_masterdata
from hub.serde import codec_for
from hub.settings import HubSettings, load_settings
from hub.synth.generator import SynthConfig, generate


def baseline(settings, total: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds for consume → decode → encode → produce of ``total`` events with no domain logic."""
    codec = codec_for(settings, Event, settings.topics.events)
    out_topic = settings.topics.avvik + ".baseline"
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"baseline-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
        }
    )
    producer = Producer({**settings.kafka.confluent_config(), "linger.ms": 5, "acks": "all"})
    consumer.subscribe([settings.topics.events])
    seen = 0
    started: float | None = None
    try:
        while seen < total:
            for msg in consumer.consume(500, 1.0):
                if msg.error():
                    continue
                if started is None:
                    started = time.perf_counter()
                event = codec.decode(msg.value() or b"")
                while True:
                    try:
                        producer.produce(out_topic, key=event.key.encode(), value=codec.encode(event))
                        break
                    except BufferError:
                        producer.poll(0.05)
                producer.poll(0)
                seen += 1
        producer.flush(60)
    finally:
        consumer.close()
    assert started is not None
    return time.perf_counter() - started


Offsets = dict[str, dict[int, int]]
"""End offsets per topic and partition."""

SAMPLES = 2_000
"""Real records kept per topic for the matched loop to produce."""

Sample = tuple[bytes | None, bytes | None, list[tuple[str, str | bytes | None]]]
"""Key, value and headers of one record."""


@dataclass
class TopicProfile:
    """What a run wrote to one topic: records, bytes (key + value + headers) and some of the records."""

    records: int = 0
    nbytes: int = 0
    samples: list[Sample] = field(default_factory=list)
    read_back: bool = False
    """The pipeline consumes this topic itself (internal topics, completed rejections on the events topic)."""


def written_topics(settings: HubSettings, app_id: str, *, changelogs: bool) -> list[str]:
    """Every topic a run with ``app_id`` writes (outputs, its internal topics, its tables' changelogs)."""
    t = settings.topics
    names = [t.events, t.avvik, t.pathway_state, t.beds_metrics, t.dlq]
    names += [f"{app_id}.internal.beds", f"{app_id}.internal.rejections"]
    if changelogs:
        names += [changelog_name(app_id, table) for table in ("pathway", "beds", "rejections")]
    return names


def end_offsets(settings: HubSettings, topics: list[str]) -> Offsets:
    """The end offset of every partition of ``topics`` (missing topics: empty)."""
    consumer = Consumer({**settings.kafka.confluent_config(), "group.id": f"ends-{uuid.uuid4().hex}"})
    ends: Offsets = {}
    try:
        metadata = consumer.list_topics(timeout=30).topics
        for topic in topics:
            meta = metadata.get(topic)
            if meta is None or meta.error is not None:
                ends[topic] = {}
                continue
            ends[topic] = {p: _end(consumer, TopicPartition(topic, p)) for p in meta.partitions}
    finally:
        consumer.close()
    return ends


def _end(consumer: Consumer, tp: TopicPartition) -> int:
    """A partition's end offset, waiting (30 s at most) for a new topic's leader."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return int(consumer.get_watermark_offsets(tp, timeout=10)[1])
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def written(
    settings: HubSettings, topics: list[str], before: Offsets, after: Offsets, read_back: set[str]
) -> dict[str, TopicProfile]:
    """What was written to ``topics`` between two sets of end offsets, each record read back."""
    profiles: dict[str, TopicProfile] = {}
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"profile-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        for topic in topics:
            profile = profiles[topic] = TopicProfile(read_back=topic in read_back)
            ranges = {
                p: (before.get(topic, {}).get(p, 0), end)
                for p, end in after.get(topic, {}).items()
                if end > before.get(topic, {}).get(p, 0)
            }
            if not ranges:
                continue
            consumer.assign(
                [TopicPartition(topic, p, start or OFFSET_BEGINNING) for p, (start, _) in ranges.items()]
            )
            pending = set(ranges)
            deadline = time.monotonic() + 120
            while pending and time.monotonic() < deadline:
                for msg in consumer.consume(1000, 0.5):
                    if msg.error() is not None:
                        continue
                    partition, offset = msg.partition(), msg.offset()
                    if partition not in pending or offset is None or offset >= ranges[partition][1]:
                        continue
                    _count(profile, msg)
                    if offset + 1 >= ranges[partition][1]:
                        pending.discard(partition)
            if pending:
                raise SystemExit(f"{topic}: partitions {sorted(pending)} not read back within 120 s")
            consumer.unassign()
    finally:
        consumer.close()
    return profiles


def _count(profile: TopicProfile, msg: Message) -> None:
    key, value = msg.key(), msg.value()
    headers: list[tuple[str, str | bytes | None]] = [
        (str(h[0]), h[1] if isinstance(h[1], bytes) else b"") for h in msg.headers() or []
    ]
    profile.records += 1
    profile.nbytes += len(key or b"") + len(value or b"") + sum(len(n) + len(v or b"") for n, v in headers)
    if len(profile.samples) < SAMPLES:
        profile.samples.append((key, value, headers))


def describe(label: str, profiles: dict[str, TopicProfile], total: int) -> None:
    """Print records per event and bytes per record of each topic a run wrote."""
    records = sum(p.records for p in profiles.values())
    nbytes = sum(p.nbytes for p in profiles.values())
    print(f"written by {label}: {records / total:.2f} records/event, {nbytes / total:.0f} B/event")
    for topic, p in profiles.items():
        if p.records:
            back = ", read back" if p.read_back else ""
            rate, size = p.records / total, p.nbytes / p.records
            print(f"    {topic:48} {rate:6.3f} records/event {size:6.0f} B/record{back}")


class Plan:
    """Per event, the records the pipeline wrote per event to each topic (fractions carried over), cycled
    from the real records of that topic, to the topic's mirror."""

    def __init__(
        self, settings: HubSettings, profiles: dict[str, TopicProfile], total: int, tag: str
    ) -> None:
        used = {topic: p for topic, p in profiles.items() if p.records and p.samples}
        self.mirrors = {topic: f"{settings.topics.events}.matched-{tag}.{i}" for i, topic in enumerate(used)}
        self.back = {self.mirrors[topic] for topic, p in used.items() if p.read_back}
        self.rates = [(self.mirrors[topic], p.records / total, p.samples) for topic, p in used.items()]
        self.owed = [0.0] * len(self.rates)
        self.cursor = [0] * len(self.rates)
        self.failures: list[str] = []
        ensure_topics(settings, [TopicSpec(m, settings.topics.partitions, ()) for m in self.mirrors.values()])

    def delivered(self, err: KafkaError | None, msg: Message) -> None:
        """librdkafka's delivery report."""
        if err is not None:
            self.failures.append(str(err))

    def emit(self, producer: Producer) -> int:
        """Produce one event's records; return how many went to topics the loop reads back."""
        back = 0
        for i, (mirror, rate, samples) in enumerate(self.rates):
            self.owed[i] += rate
            while self.owed[i] >= 1.0:
                self.owed[i] -= 1.0
                key, value, headers = samples[self.cursor[i] % len(samples)]
                self.cursor[i] += 1
                while True:
                    try:
                        producer.produce(
                            mirror, key=key, value=value, headers=headers, on_delivery=self.delivered
                        )
                    except BufferError:
                        producer.poll(0.05)
                    else:
                        break
                back += mirror in self.back
        return back


def matched(settings: HubSettings, total: int, profiles: dict[str, TopicProfile], tag: str) -> float:
    """Seconds for a loop that reads the events and writes (and reads back) what ``profiles`` says the
    pipeline writes per event, with no domain logic."""
    codec = codec_for(settings, Event, settings.topics.events)
    plan = Plan(settings, profiles, total, tag)
    config = settings.kafka.confluent_config()
    consumer = Consumer(
        {
            **config,
            "group.id": f"matched-{tag}-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.min.bytes": 65536,
            "fetch.wait.max.ms": 50,
        }
    )
    producer = Producer(  # the batch replay's producer (agents.batch_replay.run_replay_process)
        {
            **config,
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "compression.type": "lz4",
        }
    )
    consumer.subscribe([settings.topics.events, *sorted(plan.back)])
    seen = sent_back = read_back = 0
    offsets: dict[tuple[str, int], int] = {}
    started: float | None = None
    last_commit = time.monotonic()
    try:
        while seen < total or read_back < sent_back:
            messages = [m for m in consumer.consume(5000, 0.2) if m.error() is None]
            if messages and started is None:
                started = time.perf_counter()
            for msg in messages:
                topic = msg.topic() or ""
                offsets[(topic, msg.partition() or 0)] = msg.offset() or 0
                if topic != settings.topics.events:
                    read_back += 1
                elif seen < total:
                    seen += 1
                    codec.decode(msg.value() or b"")
                    sent_back += plan.emit(producer)
            producer.poll(0)
            if offsets and (time.monotonic() - last_commit >= 2.0 or not messages):
                checkpoint(producer, consumer, offsets, plan.failures)
                last_commit = time.monotonic()
        checkpoint(producer, consumer, offsets, plan.failures)
    finally:
        consumer.close()
        codec.close()
    assert started is not None
    return time.perf_counter() - started


def checkpoint(
    producer: Producer, consumer: Consumer, offsets: dict[tuple[str, int], int], failures: list[str]
) -> None:
    """Every output confirmed, then the offsets committed (the batch replay's order)."""
    if producer.flush(120) != 0 or failures:
        raise SystemExit(f"matched loop: outputs not confirmed ({failures[:1]})")
    if offsets:
        commit = [TopicPartition(t, p, o + 1) for (t, p), o in offsets.items()]
        consumer.commit(offsets=commit, asynchronous=False)
        offsets.clear()


def pipeline(settings, app_id: str, total: int, log: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(start-up seconds, processing seconds) of a real worker over ``total`` events."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "worker", "--clock", "event", "--app-id", app_id],
            env=worker_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        launched = time.perf_counter()
        first: float | None = None
        try:
            while True:
                done, _ = committed_progress(settings, app_id, settings.topics.events)
                now = time.perf_counter()
                if done > 0 and first is None:
                    first = now
                if done >= total:
                    assert first is not None
                    return first - launched, now - first
                if proc.poll() is not None:
                    raise SystemExit(f"worker died, see {log}")
                time.sleep(0.2)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--registry", action="store_true", help="use the schema registry (wire format)")
    args = parser.parse_args()

    settings = load_settings()
    if not args.registry:
        settings = settings.model_copy(
            update={"registry": settings.registry.model_copy(update={"url": None})}
        )
    prefix = f"bench.{uuid.uuid4().hex[:8]}"
    target = replay_settings(settings, prefix, args.partitions)
    target.data_dir.mkdir(parents=True, exist_ok=True)
    prepare(target)
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        span_days=60,
        deviation_share=0.2,
        seed=args.seed,
    )
    t0 = time.perf_counter()
    total = load_events(target, generate(load_masterdata(), config, args.events))
    load_s = time.perf_counter() - t0
    print(
        f"loaded {total} events into {target.topics.events} in {load_s:.1f} s "
        f"({total / load_s:.0f} events/s, {args.partitions} partitions, "
        f"{'wire format + registry' if args.registry else 'single-object encoding'})"
    )

    base_s = baseline(target, total)
    print(f"baseline  consume→decode→encode→produce: {total / base_s:8.0f} events/s ({base_s:.1f} s)")
    batch_id = f"{prefix}-batch"
    worker_written = written_topics(target, prefix, changelogs=True)
    batch_written = written_topics(target, batch_id, changelogs=False)
    ensure_topics(target, worker_specs(prefix, args.partitions))
    confirm_topics(target, worker_specs(prefix, args.partitions))
    before = end_offsets(target, worker_written + batch_written)
    startup_s, pipe_s = pipeline(target, prefix, total, target.data_dir / "worker.log")
    print(
        f"pipeline  faust worker, all agents:      {total / pipe_s:8.0f} events/s ({pipe_s:.1f} s; "
        f"start-up {startup_s:.1f} s)"
    )
    after_worker = end_offsets(target, worker_written + batch_written)
    batch_s = run_batch_replay(target, batch_id, total, log_file=target.data_dir / "batch.log")
    procs = os.cpu_count()
    print(f"batch     processors, {procs} processes:   {total / batch_s:8.0f} events/s ({batch_s:.1f} s)")
    after_batch = end_offsets(target, worker_written + batch_written)

    # what each run wrote; the events topic's records beyond the loaded ones are completed rejections
    back = {target.topics.events, *(n for n in worker_written + batch_written if ".internal." in n)}
    worker_profile = written(target, worker_written, before, after_worker, back)
    batch_profile = written(target, batch_written, after_worker, after_batch, back)
    describe("the worker (until its last event was committed)", worker_profile, total)
    describe("the batch replay", batch_profile, total)
    match_s = matched(target, total, worker_profile, "worker")
    print(f"matched   worker's records, no logic:     {total / match_s:8.0f} events/s ({match_s:.1f} s)")
    match_b_s = matched(target, total, batch_profile, "batch")
    print(f"matched   batch's records, no logic:      {total / match_b_s:8.0f} events/s ({match_b_s:.1f} s)")

    print(f"ratio worker / baseline: {base_s / pipe_s:.3f}; batch / baseline: {base_s / batch_s:.3f}")
    print(
        f"ratio worker / matched(worker): {match_s / pipe_s:.3f}; "
        f"batch / matched(batch): {match_b_s / batch_s:.3f}"
    )
    print(
        f"RESULT bench=replay events={total} baseline_eps={total / base_s:.0f} "
        f"matched_eps={total / match_s:.0f} matched_batch_eps={total / match_b_s:.0f} "
        f"worker_eps={total / pipe_s:.0f} batch_eps={total / batch_s:.0f} "
        f"worker_ratio={base_s / pipe_s:.3f} batch_ratio={base_s / batch_s:.3f} "
        f"worker_matched_ratio={match_s / pipe_s:.3f} batch_matched_ratio={match_b_s / batch_s:.3f}"
    )


if __name__ == "__main__":
    main()
