"""TCP port probes: is something listening, and is a port free for us to bind."""

from __future__ import annotations

import socket

from hub.errors import PrerequisiteMissing

HOST = "127.0.0.1"


def is_listening(port: int, host: str = HOST, timeout_s: float = 0.5) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def ensure_free(port: int, service: str, setting: str, host: str = HOST) -> None:
    """Raise :class:`PrerequisiteMissing` naming the port when another process already listens on it."""
    if is_listening(port, host):
        raise PrerequisiteMissing(
            f"port {port} on {host} (needed by {service}) is in use by another process; "
            f"stop that process or choose another port with HUB_INFRA__{setting.upper()}"
        )
