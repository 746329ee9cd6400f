"""``python -m hub.synth --events N --seed S --out file.jsonl``: write synthetic canonical events."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from hub.masterdata import load_masterdata
from hub.synth.generator import SynthConfig, generate, jsonl_lines


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, write; print the count to stderr."""
    parser = argparse.ArgumentParser(prog="python -m hub.synth", description=__doc__)
    parser.add_argument("--events", type=int, required=True, help="how many events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="output JSON lines file")
    parser.add_argument("--helsefellesskap", default="HF-HNT")
    parser.add_argument("--start", default="2024-01-01", help="first day (UTC)")
    parser.add_argument("--span-days", type=int, default=365)
    parser.add_argument("--deviation-share", type=float, default=0.1)
    parser.add_argument("--masterdata-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    config = SynthConfig(
        helsefellesskap_id=args.helsefellesskap,
        start=datetime.fromisoformat(args.start).replace(tzinfo=UTC),
        span_days=args.span_days,
        deviation_share=args.deviation_share,
        seed=args.seed,
    )
    count = 0
    with args.out.open("w", encoding="utf-8") as out:  # the shell does the I/O; the generator is pure
        for line in jsonl_lines(generate(load_masterdata(args.masterdata_dir), config, args.events)):
            out.write(line)
            count += 1
    sys.stderr.write(f"wrote {count} events to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
