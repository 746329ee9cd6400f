"""Child processes of the demo (worker, connectors): started with the same settings, stopped together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import StartupTimeout


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


@dataclass
class Child:
    """One child process with its log file."""

    name: str
    argv: list[str]
    port: int
    log: Path
    ops_port: int | None = None
    """Port of the child's /healthz, /readyz and /metrics (HUB_WEB__WORKER_PORT of that process)."""
    proc: subprocess.Popen[bytes] | None = None
    program: list[str] = field(default_factory=lambda: [sys.executable, "-m", "hub.cli"])
    """What runs ``argv``: the ``hub`` command line of this interpreter (tests put other programs here)."""
    restarts: int = 0
    """How often the demo has restarted this child after it died."""

    def start(self, env: dict[str, str]) -> None:
        """Start the child in its own session, output to its log file."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if self.ops_port is not None:
            env = {**env, "HUB_WEB__WORKER_PORT": str(self.ops_port)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI
                [*self.program, *self.argv],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_listening(self, timeout: float) -> None:
        """Block until the child listens on its port; fail with its log's tail if it dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise StartupTimeout(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            if listening(self.port):
                return
            time.sleep(0.3)
        raise StartupTimeout(
            f"{self.name} did not listen on port {self.port} within {timeout:.0f} s: {self.tail()}"
        )

    def exit_code(self) -> int | None:
        """The child's exit code once it has exited, else None (also None before it was started)."""
        return None if self.proc is None else self.proc.poll()

    def tail(self, lines: int = 8) -> str:
        """The last lines of the child's log."""
        try:
            return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in ``timeout`` seconds."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


@dataclass
class Children:
    """The demo's children, stopped in reverse start order."""

    started: list[Child] = field(default_factory=list)

    def start(self, child: Child, env: dict[str, str], timeout: float) -> None:
        """Start a child and wait until it listens."""
        child.start(env)
        self.started.append(child)
        child.wait_listening(timeout)

    def stop_all(self) -> None:
        """Stop every child."""
        for child in reversed(self.started):
            child.stop()
