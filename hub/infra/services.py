"""The services ``hub infra`` manages, described uniformly: name, ports, prerequisites, readiness."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hub.infra import kafka, registry
from hub.infra.java import JavaRuntime
from hub.settings import InfraSettings


@dataclass(frozen=True, slots=True)
class Service:
    """One managed service."""

    name: str
    port_setting: str
    """Name of the InfraSettings field holding the client port."""
    extra_port_settings: tuple[str, ...]
    java: Callable[[InfraSettings], JavaRuntime]
    """The JDK to run it with (raises PrerequisiteMissing when there is none)."""
    prepare: Callable[[InfraSettings, JavaRuntime], list[str]]
    is_ready: Callable[[InfraSettings], bool]
    state: Callable[[InfraSettings], Path]

    def port(self, infra: InfraSettings) -> int:
        """The client port of this service."""
        value = getattr(infra, self.port_setting)
        assert isinstance(value, int)  # noqa: S101 - the field names above are ints by construction
        return value

    def pid_path(self, infra: InfraSettings) -> Path:
        """Pid file of the running service."""
        return self.state(infra) / f"{self.name}.pid"

    def log_path(self, infra: InfraSettings) -> Path:
        """Where stdout and stderr of the service go."""
        return self.state(infra) / f"{self.name}.out"


KAFKA = Service(
    name=kafka.NAME,
    port_setting="kafka_port",
    extra_port_settings=("kafka_controller_port",),
    java=kafka.java,
    prepare=kafka.prepare,
    is_ready=kafka.is_ready,
    state=kafka.state,
)
REGISTRY = Service(
    name=registry.NAME,
    port_setting="registry_port",
    extra_port_settings=("registry_management_port",),
    java=registry.java,
    prepare=registry.prepare,
    is_ready=registry.is_ready,
    state=registry.state,
)
ALL = (KAFKA, REGISTRY)
