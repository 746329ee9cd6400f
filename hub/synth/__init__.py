"""Deterministic synthetic canonical events: realistic multi-patient pathways from master data.

:class:`hub.synth.build.EventFactory` makes single canonical events (also used by tests);
:func:`hub.synth.generator.generate` makes whole pathways with a controllable share of deviations.
Run ``python -m hub.synth --events N --seed S --out file.jsonl``.
"""

from hub.synth.build import EventFactory
from hub.synth.generator import SynthConfig, generate, jsonl_lines

__all__ = ["EventFactory", "SynthConfig", "generate", "jsonl_lines"]
