"""Fixtures of the ops tests: paths of external tools (skip locally, fail under CI=true when missing)."""

from __future__ import annotations

import pytest
from opstools import find_tool
from prometheus_client import CollectorRegistry

from hub.observability.metrics import HubMetrics


@pytest.fixture
def promtool() -> str:
    """Path of promtool (Debian package `prometheus`)."""
    return find_tool("promtool", "scripts/ci-prometheus.sh")


@pytest.fixture
def helm() -> str:
    """Path of helm (built from the Go module proxy)."""
    return find_tool("helm", "scripts/ci-helm-tools.sh")


@pytest.fixture
def kubeconform() -> str:
    """Path of kubeconform (built from the Go module proxy)."""
    return find_tool("kubeconform", "scripts/ci-helm-tools.sh")


@pytest.fixture
def docker_compose() -> str:
    """Path of docker-compose (Debian package `docker-compose`)."""
    return find_tool("docker-compose", "scripts/ci-compose.sh")


@pytest.fixture
def exposed_metric_names() -> frozenset[str]:
    """Every sample name HubMetrics can expose, plus Prometheus' own `up`."""
    return HubMetrics(CollectorRegistry()).exposed_names() | {"up"}
