"""The demo's supervision of its children: a dead child is restarted a few times, then the demo stops."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.demo.processes import Child, Children
from hub.demo.supervise import check_children, watch
from tests.agents.harness import free_port

# listens on argv[1]; the first argv[3] starts (counted in the file argv[2]) exit with code 3 after 0.3 s
FLAKY = """
import pathlib, socket, sys, time
port, counter, deaths = int(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
starts = int(counter.read_text()) + 1 if counter.exists() else 1
counter.write_text(str(starts))
server = socket.socket(); server.bind(("127.0.0.1", port)); server.listen()
if starts <= deaths:
    time.sleep(0.3)
    sys.exit(3)
time.sleep(60)
"""


@pytest.fixture
def children() -> Iterator[Children]:
    """The started children, stopped after the test."""
    started = Children()
    yield started
    started.stop_all()


def _flaky(tmp_path: Path, deaths: int) -> Child:
    port = free_port()
    argv = [str(port), str(tmp_path / "starts"), str(deaths)]
    return Child("worker", argv, port, tmp_path / "worker.log", program=[sys.executable, "-c", FLAKY])


def _dead(child: Child) -> None:
    assert child.proc is not None
    child.proc.wait(10)


def test_a_child_that_dies_is_restarted_and_the_demo_goes_on(tmp_path: Path, children: Children) -> None:
    """A worker that exits once is started again, says so, and runs on."""
    said: list[str] = []
    child = _flaky(tmp_path, deaths=1)
    children.start(child, {}, 10)
    _dead(child)
    assert check_children(children, {}, said.append) is None
    assert child.restarts == 1
    assert child.exit_code() is None
    assert (
        said == [f"worker exited with code 3; restarting it (1/3): {child.tail(2)}"]
        or "restarting" in said[0]
    )


def test_a_child_that_keeps_dying_stops_the_demo_with_the_reason(tmp_path: Path, children: Children) -> None:
    """After three restarts a child that dies again is given up: the reason names it, its code and log."""
    said: list[str] = []
    child = _flaky(tmp_path, deaths=10)
    children.start(child, {}, 10)
    reason = None
    for _ in range(5):
        _dead(child)
        reason = check_children(children, {}, said.append)
        if reason is not None:
            break
    assert child.restarts == 3
    assert reason is not None
    assert reason.startswith("worker exited with code 3 again after 3 restarts; stopping everything")
    assert str(tmp_path / "worker.log") in reason


async def test_watch_stops_the_demo_when_a_child_cannot_be_kept_alive(
    tmp_path: Path, children: Children, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher sets the demo's stop event and returns the reason once it gives up on a child."""
    monkeypatch.setattr("hub.demo.supervise.CHECK_EVERY_S", 0.2)
    child = _flaky(tmp_path, deaths=10)
    children.start(child, {}, 10)
    stop = asyncio.Event()
    said: list[str] = []
    reason = await asyncio.wait_for(watch(children, {}, stop, said.append), timeout=60)
    assert stop.is_set()
    assert reason is not None
    assert "worker exited with code 3" in reason
    assert said[-1] == reason
