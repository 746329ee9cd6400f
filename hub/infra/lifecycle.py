"""Start, inspect and stop the local services: idempotent ``up``, ``status`` and ``down``."""

from __future__ import annotations

import contextlib
import enum
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

from hub.errors import InfraError, StartupTimeout
from hub.infra import kafka, ports, process
from hub.infra import registry as registry_service
from hub.infra.services import ALL, KAFKA, Service
from hub.settings import InfraSettings

log = structlog.get_logger(__name__)


class State(enum.StrEnum):
    """What ``status`` found for a service."""

    UP = "up"
    STARTING = "starting"
    DOWN = "down"
    FOREIGN = "port taken by another process"


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """One service as seen by ``status``."""

    name: str
    pid: int | None
    port: int
    state: State

    @property
    def up(self) -> bool:
        """True when our process runs and answers."""
        return self.state is State.UP


@dataclass(frozen=True, slots=True)
class StartResult:
    """Outcome of ``up`` for one service."""

    name: str
    pid: int
    port: int
    started: bool
    """False when it was already running."""
    seconds: float


def select(registry: bool) -> tuple[Service, ...]:
    """The services to manage: Kafka always, the registry unless ``registry`` is false."""
    return ALL if registry else (KAFKA,)


def _our_pid(service: Service, infra: InfraSettings) -> int | None:
    pid = process.PidFile(service.pid_path(infra)).read()
    return pid if pid is not None and process.is_service(pid, service.name) else None


def status_of(service: Service, infra: InfraSettings) -> ServiceStatus:
    """The state of one service."""
    pid = _our_pid(service, infra)
    port = service.port(infra)
    if pid is None:
        state = State.FOREIGN if ports.is_listening(port) else State.DOWN
    else:
        state = State.UP if ports.is_listening(port) and service.is_ready(infra) else State.STARTING
    return ServiceStatus(service.name, pid, port, state)


def status(infra: InfraSettings, *, registry: bool = True) -> list[ServiceStatus]:
    """The state of every managed service."""
    return [status_of(service, infra) for service in select(registry)]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(service: Service, infra: InfraSettings, pid: int, deadline: float, *, spawned: bool) -> None:
    port = service.port(infra)
    while time.monotonic() < deadline:
        if not process.is_alive(pid):
            process.PidFile(service.pid_path(infra)).remove()
            log_path = service.log_path(infra)
            raise InfraError(f"{service.name} exited while starting; end of {log_path}:\n{_tail(log_path)}")
        if ports.is_listening(port) and service.is_ready(infra):
            return
        time.sleep(0.2)
    if not spawned:
        raise StartupTimeout(
            f"{service.name} (pid {pid}, started earlier) does not answer on port {port}; "
            f"see {service.log_path(infra)} and restart it: `hub infra down && hub infra up`"
        )
    process.terminate(pid, timeout_s=infra.stop_timeout_s)
    process.PidFile(service.pid_path(infra)).remove()
    raise StartupTimeout(
        f"{service.name} did not answer on port {port} within {infra.start_timeout_s:.0f} s (stopped it); "
        f"see {service.log_path(infra)}; raise HUB_INFRA__START_TIMEOUT_S if the machine is slow"
    )


def start(service: Service, infra: InfraSettings) -> StartResult:
    """Start ``service`` unless it already runs; wait until it answers."""
    began = time.monotonic()
    deadline = began + infra.start_timeout_s
    pid_file = process.PidFile(service.pid_path(infra))
    pid = _our_pid(service, infra)
    if pid is not None:
        _wait_ready(service, infra, pid, deadline, spawned=False)
        log.info("infra.already_running", service=service.name, pid=pid)
        return StartResult(service.name, pid, service.port(infra), False, time.monotonic() - began)
    pid_file.remove()
    for setting in (service.port_setting, *service.extra_port_settings):
        ports.ensure_free(getattr(infra, setting), service.name, setting)
    java = service.java(infra)
    argv = service.prepare(infra, java)
    pid = process.spawn(
        argv, log_file=service.log_path(infra), env={"JAVA_HOME": str(java.home), "LANG": "C.UTF-8"}
    )
    pid_file.write(pid)
    log.info("infra.starting", service=service.name, pid=pid, java=java.major)
    _wait_ready(service, infra, pid, deadline, spawned=True)
    seconds = time.monotonic() - began
    log.info(
        "infra.started", service=service.name, pid=pid, port=service.port(infra), seconds=round(seconds, 1)
    )
    return StartResult(service.name, pid, service.port(infra), True, seconds)


def _locked(infra: InfraSettings) -> contextlib.AbstractContextManager[None]:
    return process.exclusive(infra.state_dir / "infra.lock", timeout_s=2 * infra.start_timeout_s)


def _preflight(services: Sequence[Service], infra: InfraSettings) -> None:
    """Check every port we will need before starting anything, so a clash leaves nothing half-started."""
    for service in services:
        if _our_pid(service, infra) is None:
            for setting in (service.port_setting, *service.extra_port_settings):
                ports.ensure_free(getattr(infra, setting), service.name, setting)


def up(infra: InfraSettings, *, registry: bool = True) -> list[StartResult]:
    """Start Kafka (and the registry) if not yet running; idempotent."""
    with _locked(infra):
        _preflight(select(registry), infra)
        return [start(service, infra) for service in select(registry)]


def stop(service: Service, infra: InfraSettings) -> bool:
    """Stop ``service`` if it runs (SIGTERM, then SIGKILL); True when something was stopped."""
    pid_file = process.PidFile(service.pid_path(infra))
    pid = _our_pid(service, infra)
    if pid is None:
        pid_file.remove()  # stale or absent
        return False
    killed = process.terminate(pid, timeout_s=infra.stop_timeout_s)
    pid_file.remove()
    log.info("infra.stopped", service=service.name, pid=pid, killed=killed)
    return True


def down(
    infra: InfraSettings,
    *,
    purge: bool = False,
    services: Sequence[Service] = ALL,
    worker_state: Path | None = None,
) -> list[str]:
    """Stop the services (registry first); ``purge`` also deletes the broker data, and ``worker_state`` (the
    workers' tables, ``HUB_DATA_DIR``) with it. Returns the names of the services stopped."""
    with _locked(infra):
        stopped = [service.name for service in reversed(services) if stop(service, infra)]
        if purge:  # broker data and the registry's schemas go together: records refer to schema ids
            shutil.rmtree(kafka.data_dir(infra), ignore_errors=True)
            shutil.rmtree(registry_service.database(infra).parent, ignore_errors=True)
            # tables rebuilt from changelogs that are gone now would be stale (agents.local_state)
            if worker_state is not None:
                shutil.rmtree(worker_state, ignore_errors=True)
            log.info("infra.purged", data_dir=str(kafka.data_dir(infra)), worker_state=str(worker_state))
    return stopped


def ensure_up(infra: InfraSettings, *, registry: bool = True) -> list[str]:
    """Make the services available, reusing ours or any compatible one already answering on the port.

    Returns the names of the services this call started (the caller owns stopping those).
    """
    started: list[str] = []
    with _locked(infra):
        needed: list[Service] = []
        for service in select(registry):
            if status_of(service, infra).state is State.FOREIGN and service.is_ready(infra):
                log.info("infra.reuse_foreign", service=service.name, port=service.port(infra))
            else:
                needed.append(service)
        _preflight(needed, infra)
        started.extend(service.name for service in needed if start(service, infra).started)
    return started
