"""Local infrastructure for development and tests: a Kafka broker and an Apicurio schema registry.

``up`` / ``status`` / ``down`` are idempotent and keep their state (pid files, logs, broker data) in
``settings.infra.state_dir``; downloads are cached in ``settings.infra.cache_dir``.
"""

from __future__ import annotations

from hub.infra.lifecycle import ServiceStatus, StartResult, State, down, ensure_up, status, up
from hub.infra.services import ALL, KAFKA, REGISTRY, Service

__all__ = [
    "ALL",
    "KAFKA",
    "REGISTRY",
    "Service",
    "ServiceStatus",
    "StartResult",
    "State",
    "down",
    "ensure_up",
    "status",
    "up",
]
