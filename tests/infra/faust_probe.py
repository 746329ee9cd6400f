"""A tiny faust app for the compatibility test: an agent counts keys of a topic into a table.

Run as ``python faust_probe.py worker`` with ``PROBE_BROKER`` and ``PROBE_TOPIC`` set; the topic must
exist. Prints ``PROBE OK <counts>`` and exits 0 once all 20 records are counted.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

import faust

BROKER = os.environ["PROBE_BROKER"]
TOPIC = os.environ["PROBE_TOPIC"]
RECORDS = 20

app = faust.App(
    f"probe-{TOPIC}",
    broker=f"kafka://{BROKER}",
    store="memory://",
    web_enabled=False,
    datadir=tempfile.mkdtemp(prefix="faust-probe-"),
    topic_partitions=3,
    topic_replication_factor=1,
)
source = app.topic(TOPIC, key_type=str, value_type=str, partitions=3)
counts = app.Table("counts", default=int, partitions=3)


@app.agent(source)
async def count(stream: Any) -> None:
    """Count records per key in the table; finish when all are counted."""
    async for key, _value in stream.items():
        counts[key] += 1
        if sum(counts.values()) == RECORDS:
            print(f"PROBE OK {dict(sorted(counts.items()))}", flush=True)  # noqa: T201 - read by the test
            os._exit(0)


@app.task
async def produce() -> None:
    """Send the records through faust's own producer."""
    for i in range(RECORDS):
        await source.send(key=f"k{i % 4}", value=f"v{i}")


if __name__ == "__main__":
    sys.argv[1:] = ["worker", "--loglevel", "warn"]
    app.main()
