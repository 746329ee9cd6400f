"""``hub simulate --out DIR [--truth FILE]``: the region's messages as files, and the timeline behind them.

One file per message, named in send order with the protocol as extension (``000001-ADT_A01.hl7``,
``000002-HELSEOPPL_SOKNAD.xml``, ``…-AMK_CALL_RECEIVED.json``, ``…-kpr_csv.csv``), for integration teams' test
systems and for the hub's own tests. ``--truth`` writes the canonical events the messages carry, as JSON lines
(the input of ``hub evaluate``).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from hub.masterdata.load import load_masterdata
from hub.settings import HubSettings
from hub.simulate.carried import NOT_CARRIED, plan_region
from hub.simulate.simulator import SimOptions
from hub.simulate.wire import file_names


def write_region(
    options: SimOptions, settings: HubSettings, out_dir: Path, truth: Path | None
) -> tuple[int, list[str]]:
    """Write the messages (bounded by ``options.limit`` / ``duration``): the number written, and a line for
    each kind of fact left out of the truth.

    The truth is the canonical facts the messages carry (:func:`hub.simulate.carried.plan_region`); what no
    message carries (:data:`~hub.simulate.carried.NOT_CARRIED`) is left out, with its reason.
    """
    md = load_masterdata(settings.masterdata_dir)
    planned = plan_region(options, md, options.start or datetime.now(UTC))
    messages = planned.messages
    if options.limit is not None:
        messages = messages[: options.limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, message in file_names(messages):
        (out_dir / name).write_bytes(message.payload)
    if truth is not None:
        truth.parent.mkdir(parents=True, exist_ok=True)
        with truth.open("w", encoding="utf-8") as out:
            for event in planned.truth:
                out.write(event.model_dump_json() + "\n")
    left = Counter(e.event_type for e in planned.left_out) if truth is not None else Counter()
    notes = [
        f"left out of the truth: {n} {kind.value} ({NOT_CARRIED[kind]})" for kind, n in sorted(left.items())
    ]
    return len(messages), notes
