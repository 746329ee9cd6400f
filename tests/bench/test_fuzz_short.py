"""A short run of the fuzz bench (``bench/fuzz``) per parser: no crash other than InputError, no person
number in any output. The full run (1 000 000 inputs per parser) is ``python -m bench.fuzz.run``."""

from __future__ import annotations

import pytest

from bench.fuzz.run import run_parser

COUNTS = {"hl7": 1500, "fhir": 1500, "plo": 300, "ambulance": 2000, "kpr": 1000}


@pytest.mark.parametrize("parser", sorted(COUNTS))
def test_short_fuzz_run(parser: str) -> None:
    """Generated inputs are accepted or refused with InputError; none lets a person number out."""
    result = run_parser(parser, COUNTS[parser], seed=11)
    assert result.inputs == COUNTS[parser]
    assert dict(result.crashes) == {}
    assert result.leaks == 0
    assert result.accepted > 0
    assert result.rejected > 0
