"""``hub simulate --out DIR [--truth FILE]``: the region's messages as files, and the timeline behind them.

One file per message, named in send order with the protocol as extension (``000001-ADT_A01.hl7``,
``000002-HELSEOPPL_SOKNAD.xml``, ``…-AMK_CALL_RECEIVED.json``, ``…-kpr_csv.csv``), for integration teams' test
systems and for the hub's own tests. ``--truth`` writes the canonical events the messages were rendered from,
as JSON lines (the input of ``hub evaluate``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hub.masterdata.load import load_masterdata
from hub.settings import HubSettings
from hub.simulate.plan import Planner
from hub.simulate.simulator import SimOptions, timeline
from hub.simulate.wire import file_names


def write_region(options: SimOptions, settings: HubSettings, out_dir: Path, truth: Path | None) -> int:
    """Write the messages (bounded by ``options.limit`` / ``duration``); the number written."""
    md = load_masterdata(settings.masterdata_dir)
    start = options.start or datetime.now(UTC)
    end = start + options.duration if options.duration else None
    events = list(timeline(options, md, start))
    if end is not None:
        events = [e for e in events if e.occurred_at <= end]
    planner = Planner(seed=options.seed, masterdata=md)
    messages = list(planner.plan(events))
    if options.limit is not None:
        messages = messages[: options.limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, message in file_names(messages):
        (out_dir / name).write_bytes(message.payload)
    if truth is not None:
        truth.parent.mkdir(parents=True, exist_ok=True)
        with truth.open("w", encoding="utf-8") as out:
            for event in events:
                out.write(event.model_dump_json() + "\n")
    return len(messages)
