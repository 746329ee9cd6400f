"""Worker start-up on the real broker: every topic confirmed before faust starts, stale local state wiped,
a worker that cannot start says why in one line and exits non-zero."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import faust.worker
import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from agents.app import WorkerOptions
from agents.run import run_worker
from hub.settings import HubSettings, settings_env
from tests.agents.harness import (
    REPO,
    WorkerProcess,
    private_settings,
    produce_events,
    produce_raw,
    wait_caught_up,
)
from tests.agents.scenario import scenario

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


class _Started(Exception):
    """Raised instead of running faust: the test has seen the broker at the moment the app would start."""


def test_every_topic_the_app_declares_is_in_the_metadata_before_faust_starts(
    infra: HubSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When faust's worker is about to start, every changelog, internal and leader topic of the app exists
    with its partition count and a leader per partition (else the beds table saw a 0-partition changelog)."""
    settings = private_settings(infra, tmp_path)
    app_id = f"{settings.topics.events.split('.', 1)[0]}-startup"
    seen: dict[str, Any] = {}

    def inspect_broker(runner: faust.worker.Worker) -> NoReturn:
        app: Any = runner.app
        wanted = {t.changelog_topic.get_topic_name(): t.partitions for t in app.tables.values()}
        wanted[app._leader_assignor._leader_topic_name] = 1
        for suffix in ("ticks", "beds", "rejections"):
            wanted[f"{app_id}.internal.{suffix}"] = settings.topics.partitions
        metadata = AdminClient(settings.kafka.confluent_config()).list_topics(timeout=10).topics
        for name, partitions in wanted.items():
            meta = metadata.get(name)
            seen[name] = None if meta is None else sorted(p.leader for p in meta.partitions.values())
            assert meta is not None, f"{name} does not exist yet"
            assert len(meta.partitions) == partitions, f"{name}: {len(meta.partitions)} partitions"
        raise _Started

    monkeypatch.setattr(faust.worker.Worker, "execute_from_commandline", inspect_broker)
    with pytest.raises(_Started):
        run_worker(settings, WorkerOptions(app_id=app_id, live=False))
    assert all(leaders and min(leaders) >= 0 for leaders in seen.values()), seen


def test_a_changelog_with_another_partition_count_stops_the_worker_with_one_line(
    infra: HubSettings, tmp_path: Path
) -> None:
    """A beds changelog of 2 partitions for 3-partition topics: the worker exits 1 at once and says so in
    one line, instead of crash-looping its beds agent on ``PartitionsMismatch``."""
    settings = private_settings(infra, tmp_path)
    app_id = f"{settings.topics.events.split('.', 1)[0]}-mismatch"
    admin = AdminClient(settings.kafka.confluent_config())
    for future in admin.create_topics([NewTopic(f"{app_id}-beds-changelog", 2, 1)]).values():
        future.result(timeout=30)
    env = settings_env(settings.model_copy(update={"log_level": "WARNING"}))
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "worker", "--app-id", app_id, "--clock", "event"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 1, done.stderr[-2000:]
    assert last.startswith("error: worker cannot start:"), last
    assert f"{app_id}-beds-changelog has 2 partitions, the hub needs 3" in last


def test_local_state_of_a_purged_broker_is_wiped_and_the_worker_starts(
    infra: HubSettings, tmp_path: Path
) -> None:
    """Tables built on changelogs that are gone now (a purged broker) are wiped at start: the worker starts
    and recovers instead of stopping on ``ConsistencyError: The persisted offset ... is higher``."""
    settings = private_settings(infra, tmp_path)
    first = WorkerProcess(settings, "purged", tmp_path / "first.log")
    try:
        first.wait_ready()
        produce_events(settings, scenario())
        wait_caught_up(settings, first.app_id, [settings.topics.events])
    finally:
        first.stop()
    tables = tmp_path / "data" / first.app_id / "v1" / "tables"
    assert any(tables.glob("beds-*.db")), "the first worker should have written bed state"
    # what `hub infra down --purge` does to the worker's topics: changelogs and committed offsets are gone
    admin = AdminClient(settings.kafka.confluent_config())
    changelogs = [f"{first.app_id}-{t}-changelog" for t in ("pathway", "beds", "rejections")]
    for future in admin.delete_topics(changelogs, operation_timeout=30).values():
        future.result(timeout=30)
    for future in admin.delete_consumer_groups([first.app_id], request_timeout=30).values():
        future.result(timeout=30)
    _wait_gone(admin, changelogs)
    second = WorkerProcess(settings, "purged", tmp_path / "second.log")
    try:
        second.wait_ready(timeout=90)
        wait_caught_up(settings, second.app_id, [settings.topics.events], timeout=90)
        assert second.proc.poll() is None
    finally:
        second.stop()
    log = (tmp_path / "second.log").read_text(errors="replace")
    assert "worker.state_wiped" in log
    assert "ConsistencyError" not in log
    assert "Restarting dead" not in log


def _wait_gone(admin: AdminClient, topics: list[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not set(topics) & set(admin.list_topics(timeout=10).topics):
            return
        time.sleep(0.5)
    raise TimeoutError(f"{topics} still listed")


def test_an_agent_error_stops_the_worker_with_the_reason_instead_of_a_restart_loop(
    infra: HubSettings, tmp_path: Path
) -> None:
    """A record an agent cannot handle (garbage on an internal topic only the worker writes) stops the
    worker with exit code 1 and the reason on its last line; faust does not restart the agent in a loop."""
    settings = private_settings(infra, tmp_path)
    worker = WorkerProcess(settings, "crash", tmp_path / "worker.log")
    try:
        worker.wait_ready()
        produce_raw(settings, f"{worker.app_id}.internal.rejections", b"M1", b"not a rejection join")
        worker.proc.wait(60)
    finally:
        worker.stop()
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert worker.proc.returncode == 1, log[-2000:]
    assert log.strip().splitlines()[-1].startswith("worker stopped: ")
    assert "Restarting dead" not in log
