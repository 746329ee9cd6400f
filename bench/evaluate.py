"""Throughput of ``hub evaluate``: generate N synthetic events, run the core, print events/s.

    .venv/bin/python bench/evaluate.py --events 1000000 --file /tmp/events-1m.jsonl

Parsing (pydantic ``model_validate_json``) and the engine are timed separately and together; the peak memory
is the process's max RSS (the events are streamed from the file, the engine keeps every patient's state).
Last line: ``RESULT bench=evaluate ...``.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import timedelta
from pathlib import Path

from hub.cli.evaluate import Run, evaluate_stream
from hub.domain import Engine, EngineConfig
from hub.events import Event
from hub.masterdata import load_masterdata
from hub.synth import SynthConfig, generate, jsonl_lines


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--file", type=Path, default=Path(".hub/bench-events.jsonl"), help="reused if there")
    parser.add_argument("--lateness", type=float, default=900.0)
    args = parser.parse_args()
    masterdata = load_masterdata()
    if not args.file.exists():
        args.file.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        count = 0
        with args.file.open("w", encoding="utf-8") as out:
            for line in jsonl_lines(generate(masterdata, SynthConfig(seed=args.seed), args.events)):
                out.write(line)
                count += 1
        print(f"generated {count} events in {time.perf_counter() - started:.1f} s -> {args.file}")
    engine = Engine(
        masterdata, config=EngineConfig(allowed_lateness=timedelta(seconds=args.lateness), eager=False)
    )
    run = Run()
    parse_seconds = 0.0

    def events() -> object:
        nonlocal parse_seconds
        with args.file.open(encoding="utf-8") as lines:
            for line in lines:
                t = time.perf_counter()
                event = Event.model_validate_json(line)
                parse_seconds += time.perf_counter() - t
                yield event

    started = time.perf_counter()
    evaluate_stream(events(), engine, run, tick=60, lateness=int(args.lateness), until=None)
    total = time.perf_counter() - started
    print(f"events:           {run.events}")
    print(f"avvik records:    {len(run.records)}")
    print(f"total:            {total:.1f} s  ->  {run.events / total:,.0f} events/s")
    print(f"  parsing:        {parse_seconds:.1f} s")
    engine_seconds = total - parse_seconds
    print(f"  engine:         {engine_seconds:.1f} s  ->  {run.events / engine_seconds:,.0f} events/s")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"peak memory:      {peak_mb:,.0f} MB (max RSS of this process)")
    print(
        f"RESULT bench=evaluate events={run.events} eps={run.events / total:.0f} "
        f"engine_eps={run.events / engine_seconds:.0f} parse_s={parse_seconds:.1f} "
        f"avvik={len(run.records)} peak_rss_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
