"""``python -m hub.synth --events N --seed S --out file.jsonl``: write synthetic canonical events.

``--region`` instead of ``--events``: the region calibrated to population and ``rates.csv`` for
``--span-days`` (:mod:`hub.synth.region`), e.g. a Finnmark year for ``hub report tabell6``; ``--census-days``
adds the census before ``--start``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from hub.masterdata import load_masterdata
from hub.synth.generator import SynthConfig, generate, jsonl_lines
from hub.synth.region import generate_region


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, generate, write; print the count to stderr."""
    parser = argparse.ArgumentParser(prog="python -m hub.synth", description=__doc__)
    volume = parser.add_mutually_exclusive_group(required=True)
    volume.add_argument("--events", type=int, help="how many events (count-based generator)")
    volume.add_argument("--region", action="store_true", help="the calibrated region for --span-days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="output JSON lines file")
    parser.add_argument("--helsefellesskap", default="HF-HNT")
    parser.add_argument("--start", default="2024-01-01", help="first day (UTC)")
    parser.add_argument("--span-days", type=int, default=365)
    parser.add_argument("--deviation-share", type=float, default=0.1)
    parser.add_argument("--census-days", type=int, default=0, help="with --region: census before --start")
    parser.add_argument("--masterdata-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    config = SynthConfig(
        helsefellesskap_id=args.helsefellesskap,
        start=datetime.fromisoformat(args.start).replace(tzinfo=UTC),
        span_days=args.span_days,
        deviation_share=args.deviation_share,
        seed=args.seed,
        census_days=args.census_days,
    )
    masterdata = load_masterdata(args.masterdata_dir)
    events = generate_region(masterdata, config) if args.region else generate(masterdata, config, args.events)
    count = 0
    with args.out.open("w", encoding="utf-8") as out:  # the shell does the I/O; the generator is pure
        for line in jsonl_lines(events):
            out.write(line)
            count += 1
    sys.stderr.write(f"wrote {count} events to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
