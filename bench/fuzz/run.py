"""Fuzz every connector parser at scale: each runs ``FORMAT.accept`` on N generated inputs (structural and
byte mutations of the real samples, long digit runs, planted person numbers, near-limit sizes) and counts:

* crashes — any exception other than :class:`~hub.errors.InputError` (must be 0);
* person numbers in any output — the raw record as the ingest step writes it (redacted copy after its last
  masking), the message id / system / sender that become keys and fields (the ingest step refuses those),
  the mapped events, and dead-letter reasons after masking (must be 0);
* ``redaction misses`` — valid numbers the format's own redaction left for the ingest step's masking (free
  text); reported, not a failure;
* the slowest single input (a backtracking regex would show here).

    .venv/bin/python -m bench.fuzz.run --count 1000000            # the full run, every parser
    .venv/bin/python -m bench.fuzz.run --count 20000 --parsers plo

CI runs a short version (``tests/bench/test_fuzz_short.py``).
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("HUB_ENV", "dev")

from bench.fuzz import mutate
from connectors.common.ingest import _identifier_leak
from connectors.formats import MappingContext, MessageFormat
from hub.errors import InputError
from hub.identity import Pseudonymiser
from hub.identity.masking import find_person_numbers, mask_digits, mask_person_numbers

REPO = Path(__file__).resolve().parents[2]
HANG_S = 60
"""One input that takes longer ends the run with the parser's stack on stderr (exit code 1)."""


@dataclass
class Result:
    """Counts of one parser's run."""

    parser: str
    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    refused_ids: int = 0
    crashes: Counter[str] = field(default_factory=Counter)
    leaks: int = 0
    redaction_misses: int = 0
    slowest_ms: float = 0.0
    seconds: float = 0.0
    crash_samples: list[bytes] = field(default_factory=list)

    def line(self) -> str:
        rate = self.inputs / self.seconds if self.seconds else 0.0
        return (
            f"{self.parser:10s} {self.inputs:>9d} inputs  {self.accepted:>8d} accepted  {self.rejected:>9d} "
            f"InputError  {sum(self.crashes.values()):>3d} crashes  {self.leaks:>3d} person numbers out  "
            f"{self.redaction_misses:>6d} masked by ingest  {self.refused_ids:>5d} ids refused  "
            f"slowest {self.slowest_ms:7.1f} ms  {self.seconds:8.1f} s  {rate:7.0f}/s"
        )


@dataclass(frozen=True)
class Target:
    """One parser: its format, sample seeds, mutations and size limit."""

    fmt: MessageFormat
    seeds: Sequence[bytes]
    mutators: Sequence[tuple[float, mutate.Mutator]]


def _targets() -> dict[str, Callable[[], Target]]:
    def hl7() -> Target:
        from connectors.hl7v2.format import FORMAT
        from connectors.hl7v2.mllp import DEFAULT_MAX_SIZE
        from tests.connectors.hl7v2.hl7_samples import DNR, adt

        seeds = [adt(t) for t in ("A01", "A02", "A03", "A08", "A11", "A13")] + [adt(number=DNR)]
        return Target(FORMAT, seeds, _mix(b"\r", DEFAULT_MAX_SIZE))

    def fhir() -> Target:
        from connectors.fhir.format import FORMAT
        from connectors.fhir.server import DEFAULT_MAX_BODY
        from tests.connectors.fhir import fhir_samples as fs

        seeds = [fs.dumps(fs.encounter()), fs.dumps(fs.bundle()), fs.dumps(fs.bundle("message"))]
        return Target(FORMAT, seeds, [*_mix(b",", DEFAULT_MAX_BODY), (6.0, mutate.json_mutation)])

    def plo() -> Target:
        from connectors.plo.format import FORMAT
        from connectors.plo.xmlsafe import MAX_BYTES

        seeds = [p.read_bytes() for p in sorted((REPO / "tests/connectors/plo/samples").rglob("*.xml"))]
        return Target(FORMAT, seeds, _mix(b"\n", MAX_BYTES))

    def ambulance() -> Target:
        from connectors.ambulance.format import FORMAT, MAX_BYTES
        from tests.connectors.ambulance.messages import mission

        seeds = [json.dumps(mission(s)).encode() for s in ("CALL_RECEIVED", "DISPATCHED", "ARRIVED")]
        return Target(FORMAT, seeds, [*_mix(b",", MAX_BYTES), (6.0, mutate.json_mutation)])

    def kpr() -> Target:
        from connectors.kpr.format import FORMAT, MAX_BYTES
        from tests.connectors.kpr.extracts import IPLOS_SAMPLE, SAMPLE_CSV

        return Target(FORMAT, [IPLOS_SAMPLE, SAMPLE_CSV], _mix(b"\n", MAX_BYTES))

    return {"hl7": hl7, "fhir": fhir, "plo": plo, "ambulance": ambulance, "kpr": kpr}


def _mix(sep: bytes, limit: int) -> list[tuple[float, mutate.Mutator]]:
    return [
        (5.0, mutate.byte_mutation),
        (4.0, partial(mutate.line_mutation, sep=sep)),
        (3.0, mutate.digit_swap),
        (0.002, partial(mutate.near_limit, limit=limit)),
    ]


def _outputs_leak(target: Target, accepted: Any, ctx: MappingContext, check_events: bool) -> bool:
    """A person number in what reaches a topic: the raw record's payload as the ingest step writes it, or
    (every ``check_events``) the canonical events the normaliser maps from that payload."""
    final, _ = mask_person_numbers(accepted.redacted)
    if find_person_numbers(final):
        return True
    if not check_events:
        return False
    try:
        events = target.fmt.to_events(final, ctx)
    except InputError:
        return False  # the normaliser dead-letters it (sealed)
    return bool(find_person_numbers(json.dumps([e.model_dump(mode="json") for e in events])))


def run_parser(name: str, count: int, *, seed: int = 1, progress: bool = False) -> Result:
    """Fuzz one parser with ``count`` inputs."""
    target = _targets()[name]()
    next_input = mutate.generator(target.seeds, target.mutators, seed=seed)
    ctx = MappingContext(
        pseudonymiser=Pseudonymiser({"fz": b"fuzz-key-0123456789abcdef"}, "fz", accept_tokens=False),
        received_at=datetime(2024, 3, 1, 12, tzinfo=UTC),
    )
    normaliser_ctx = MappingContext(
        pseudonymiser=Pseudonymiser({"fz": b"fuzz-key-0123456789abcdef"}, "fz"),
        received_at=ctx.received_at,
    )
    result = Result(name)
    started = time.perf_counter()
    for i in range(count):
        payload = next_input()
        # an input that holds the parser (a backtracking regex holds the GIL too) must fail the run loudly,
        # with the stack, instead of hanging it: the PLO hang of the first 1 M run sat silent for half an hour
        faulthandler.dump_traceback_later(HANG_S, exit=True)
        t0 = time.perf_counter()
        try:
            accepted = target.fmt.accept(payload, ctx)
        except InputError as exc:
            result.rejected += 1
            if find_person_numbers(mask_digits(exc.reason)):
                result.leaks += 1
        except Exception as exc:
            result.crashes[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
            if len(result.crash_samples) < 20:
                result.crash_samples.append(payload)
        else:
            result.accepted += 1
            if _identifier_leak(accepted) is not None:
                result.refused_ids += 1
            if find_person_numbers(accepted.redacted):
                result.redaction_misses += 1
            if _outputs_leak(target, accepted, normaliser_ctx, check_events=i % 10 == 0):
                result.leaks += 1
        faulthandler.cancel_dump_traceback_later()
        result.slowest_ms = max(result.slowest_ms, (time.perf_counter() - t0) * 1000)
        result.inputs += 1
        if progress and (i + 1) % 100_000 == 0:
            print(f"  {name}: {i + 1} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    result.seconds = time.perf_counter() - started
    return result


def _shard(job: tuple[str, int, int]) -> Result:
    name, count, seed = job
    return run_parser(name, count, seed=seed, progress=True)


def _run_sharded(name: str, count: int, seed: int, jobs: int) -> Result:
    """Run ``count`` inputs in ``jobs`` processes (seeds ``seed``, ``seed+1`` …) and add up the counts."""
    if jobs <= 1:
        return run_parser(name, count, seed=seed, progress=True)
    import multiprocessing

    sizes = [count // jobs + (1 if k < count % jobs else 0) for k in range(jobs)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        parts = pool.map(_shard, [(name, n, seed + k * 7919) for k, n in enumerate(sizes)])
    total = Result(name)
    for part in parts:
        total.inputs += part.inputs
        total.accepted += part.accepted
        total.rejected += part.rejected
        total.refused_ids += part.refused_ids
        total.crashes.update(part.crashes)
        total.leaks += part.leaks
        total.redaction_misses += part.redaction_misses
        total.slowest_ms = max(total.slowest_ms, part.slowest_ms)
        total.crash_samples += part.crash_samples[: 20 - len(total.crash_samples)]
    total.seconds = time.perf_counter() - started
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000, help="inputs per parser")
    parser.add_argument("--parsers", default="hl7,fhir,plo,ambulance,kpr")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashes", type=Path, default=None, help="directory for crashing inputs")
    parser.add_argument("--jobs", type=int, default=1, help="processes per parser (shards with own seeds)")
    args = parser.parse_args(argv)
    failed = False
    for name in args.parsers.split(","):
        result = _run_sharded(name, args.count, args.seed, args.jobs)
        print(result.line(), flush=True)
        for crash, n in result.crashes.most_common(10):
            print(f"    crash x{n}: {crash}")
        if args.crashes and result.crash_samples:
            args.crashes.mkdir(parents=True, exist_ok=True)
            for k, sample in enumerate(result.crash_samples):
                (args.crashes / f"{name}-{k}.bin").write_bytes(sample)
        failed = failed or bool(result.crashes) or result.leaks > 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
