"""A live worker (wall clock): ticks fire the deadlines of quiet partitions; their offsets get committed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agents.replay import committed_progress
from hub.events.outputs import AvvikRecord, AvvikStatus
from hub.settings import HubSettings
from tests.agents.harness import (
    WorkerProcess,
    private_settings,
    produce_events,
    read_latest,
    wait_caught_up,
)
from tests.agents.scenario import PATIENTS, scenario

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_wall_clock_ticks_fire_deadlines_without_watermark_events(infra: HubSettings, tmp_path: Path) -> None:
    """No event after the scenario moves event time on; only the ticks can raise A's missing notice (SA01)."""
    settings = private_settings(infra, tmp_path)
    worker = WorkerProcess(settings, "live", tmp_path / "worker.log", clock="wall")
    ticks = f"{worker.app_id}.internal.ticks"
    try:
        worker.wait_ready()
        produce_events(settings, scenario())  # 2024: long overdue by the wall clock
        wait_caught_up(settings, worker.app_id, [settings.topics.events])
        deadline = time.monotonic() + 60
        open_codes: dict[str, str] = {}
        while time.monotonic() < deadline and open_codes != {"SA01": PATIENTS["A"], "SA11": PATIENTS["C"]}:
            avvik = read_latest(settings, settings.topics.avvik, AvvikRecord, timeout=10, quiet=2)
            open_codes = {
                v.code: v.patient_pseudonym for v in avvik.values() if v and v.status is AvvikStatus.OPEN
            }
        assert open_codes == {"SA01": PATIENTS["A"], "SA11": PATIENTS["C"]}
        _, sent = committed_progress(settings, worker.app_id, ticks)
        assert sent > 0
        deadline = time.monotonic() + 30
        committed = 0
        while time.monotonic() < deadline and committed < sent:  # the ticks sent so far get committed
            committed, _ = committed_progress(settings, worker.app_id, ticks)
            time.sleep(0.5)
        assert committed >= sent
    finally:
        worker.stop()
