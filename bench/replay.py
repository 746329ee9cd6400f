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
Prints the rates and their ratios to the baseline, and a last line ``RESULT bench=replay ...``.
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
from datetime import UTC, datetime
from pathlib import Path

from confluent_kafka import Consumer, Producer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.batch_replay import run_batch_replay
from agents.replay import committed_progress, load_events, prepare, replay_settings, worker_env
from hub.events import Event
from hub.masterdata import load_masterdata
from hub.serde import codec_for
from hub.settings import load_settings
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
    startup_s, pipe_s = pipeline(target, prefix, total, target.data_dir / "worker.log")
    print(
        f"pipeline  faust worker, all agents:      {total / pipe_s:8.0f} events/s ({pipe_s:.1f} s; "
        f"start-up {startup_s:.1f} s)"
    )
    batch_s = run_batch_replay(target, f"{prefix}-batch", total, log_file=target.data_dir / "batch.log")
    procs = os.cpu_count()
    print(f"batch     processors, {procs} processes:   {total / batch_s:8.0f} events/s ({batch_s:.1f} s)")
    print(f"ratio worker / baseline: {base_s / pipe_s:.3f}; batch / baseline: {base_s / batch_s:.3f}")
    print(
        f"RESULT bench=replay events={total} baseline_eps={total / base_s:.0f} "
        f"worker_eps={total / pipe_s:.0f} batch_eps={total / batch_s:.0f} "
        f"worker_ratio={base_s / pipe_s:.3f} batch_ratio={base_s / batch_s:.3f}"
    )


if __name__ == "__main__":
    main()
