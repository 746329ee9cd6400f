"""Fuzzing every connector parser at scale (see :mod:`bench.fuzz.run`)."""
