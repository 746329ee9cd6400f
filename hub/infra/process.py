"""Detached service processes: spawn in their own session, track by pid file, stop by signal."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog

from hub.errors import InfraError

log = structlog.get_logger(__name__)

MARKER_PROPERTY = "hub.infra.service"
"""JVM system property put on every command line so a pid can be recognised as ours (not a reused pid)."""


@dataclass(frozen=True, slots=True)
class PidFile:
    """The pid file of one service."""

    path: Path

    def read(self) -> int | None:
        """The recorded pid, or None when there is no (valid) pid file."""
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None

    def write(self, pid: int) -> None:
        """Record ``pid``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{pid}\n")

    def remove(self) -> None:
        """Forget the pid (no error when already gone)."""
        self.path.unlink(missing_ok=True)


def marker(service: str) -> str:
    """The JVM argument that tags a process as ``service``."""
    return f"-D{MARKER_PROPERTY}={service}"


def _reap(pid: int) -> bool:
    """Collect ``pid`` if it is our exited child; True when it was reaped."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == pid


def is_alive(pid: int) -> bool:
    """True when ``pid`` is a live (not zombie) process."""
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        # field 3 after the parenthesised command is the state; Z = zombie of another parent
        if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def is_service(pid: int, service: str) -> bool:
    """True when ``pid`` is alive and (where /proc tells) runs the tagged ``service``."""
    if not is_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return marker(service).encode() in args


def spawn(argv: list[str], *, log_file: Path, env: dict[str, str]) -> int:
    """Start ``argv`` detached (new session, stdin from /dev/null, output appended to ``log_file``)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    # posix_spawn instead of subprocess.Popen: the service outlives us, and a Popen object left behind
    # for a running child warns (ResourceWarning) when garbage-collected.
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True)
    log.debug("infra.spawned", pid=pid, program=argv[0], log_file=str(log_file))
    return pid


def terminate(pid: int, *, timeout_s: float) -> bool:
    """SIGTERM the process group of ``pid``, SIGKILL after ``timeout_s``; True when it had to be killed."""
    if not is_alive(pid):
        return False
    _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return False
        time.sleep(0.1)
    log.warning("infra.kill", pid=pid, after_s=timeout_s)
    _signal_group(pid, signal.SIGKILL)
    for _ in range(50):
        if not is_alive(pid):
            break
        time.sleep(0.1)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)  # the service leads its own session, so its pid is the group id
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


@contextlib.contextmanager
def exclusive(lock_file: Path, *, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file``: two ``hub infra`` runs never start one service twice."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise InfraError(
                        f"another `hub infra` run holds {lock_file} for over {timeout_s:.0f} s"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
