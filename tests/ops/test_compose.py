"""docker-compose.yml and Dockerfile: validated by `docker-compose config`, without a Docker engine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from opstools import REPO, find_tool, run

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
CONNECTORS = {"hl7", "fhir", "plo", "ambulance", "kpr"}
HUB_SERVICES = CONNECTORS | {"worker"}
# an unreachable engine: proves that nothing below talks to Docker
NO_ENGINE = {"DOCKER_HOST": "tcp://127.0.0.1:1"}


def _compose_config(compose: str, path: Path = COMPOSE) -> Any:
    return run([compose, "-f", str(path), "config"], cwd=path.parent, env=NO_ENGINE)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, paths absolute)."""
    compose = find_tool("docker-compose", "scripts/ci-compose.sh")
    result = _compose_config(compose)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = yaml.safe_load(result.stdout)
    return data


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def test_compose_config_is_valid(docker_compose: str) -> None:
    """docker-compose config -q accepts the file with no Docker engine reachable."""
    result = run([docker_compose, "-f", str(COMPOSE), "config", "-q"], env=NO_ENGINE)
    assert result.returncode == 0, result.stderr


def test_compose_config_rejects_an_invalid_file(docker_compose: str, tmp_path: Path) -> None:
    """A service with an unknown option fails validation, so the check is real."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  kafka:\n    image: apache/kafka:4.1.1\n    portz: ['9092:9092']\n")
    result = _compose_config(docker_compose, broken)
    assert result.returncode != 0
    assert "portz" in result.stderr


def test_compose_has_every_service(config: dict[str, Any]) -> None:
    """Kafka, the registry, the worker, five connectors, Prometheus and Grafana are all defined."""
    expected = HUB_SERVICES | {"kafka", "registry", "prometheus", "grafana"}
    assert set(config["services"]) == expected


def test_kafka_is_kraft_and_registry_is_apicurio_3(config: dict[str, Any]) -> None:
    """Kafka runs in KRaft mode from apache/kafka and the registry is Apicurio Registry 3.x."""
    kafka = config["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    registry = config["services"]["registry"]
    assert re.fullmatch(r"apicurio/apicurio-registry:3\.\d+\.\d+", registry["image"])


def test_default_ports_are_published_on_localhost(config: dict[str, Any]) -> None:
    """Kafka 9092, registry 8081, MLLP 2575 and worker 6066 are published on 127.0.0.1 (DESIGN §2a)."""
    published = {}
    for name, service in config["services"].items():
        for port in service.get("ports", []):
            host_ip, host_port = str(port).split(":")[:2]
            published[int(host_port)] = (name, host_ip)
    for port, service in {9092: "kafka", 8081: "registry", 2575: "hl7", 6066: "worker"}.items():
        assert published[port] == (service, "127.0.0.1")


def test_hub_services_use_the_image_and_commands(config: dict[str, Any]) -> None:
    """Worker and connectors build the Dockerfile and run `worker` / `connector NAME` read-only."""
    for name in HUB_SERVICES:
        service = config["services"][name]
        assert Path(service["build"]["context"]) == REPO
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert service["command"] == (["worker"] if name == "worker" else ["connector", name])
        assert service["read_only"] is True
        assert service["environment"]["HUB_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:19092"


def test_bind_mounts_exist_in_the_repository(config: dict[str, Any]) -> None:
    """Every host path mounted into Prometheus and Grafana exists in the repository."""
    mounts = [
        Path(volume.split(":")[0])
        for service in config["services"].values()
        for volume in service.get("volumes", [])
        if volume.startswith("/")
    ]
    assert len(mounts) == 4
    for mount in mounts:
        assert mount.exists(), mount
        assert REPO in mount.parents


def test_prometheus_scrapes_every_hub_service(config: dict[str, Any]) -> None:
    """The compose Prometheus configuration scrapes port 6066 of the worker and every connector."""
    prometheus = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus-compose.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    targets = {
        t.split(":")[0]: group["labels"]["component"]
        for group in job["static_configs"]
        for t in group["targets"]
    }
    assert set(targets) == HUB_SERVICES
    assert all(name == component for name, component in targets.items())
    assert set(targets) <= set(config["services"])


def test_dockerfile_is_python_slim_non_root_with_hub_entrypoint() -> None:
    """The image builds on python:3.11-slim, runs as a non-root user and has `hub` as entrypoint."""
    instructions = _dockerfile_instructions()
    froms = [arg.split()[0] for op, arg in instructions if op == "FROM"]
    assert froms
    assert all(image == "python:3.11-slim" for image in froms)
    users = [arg for op, arg in instructions if op == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}
    entrypoints = [arg for op, arg in instructions if op == "ENTRYPOINT"]
    assert entrypoints[-1] == '["hub"]'
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "hub" in scripts


def test_dockerfile_copies_only_existing_paths() -> None:
    """Every COPY source of the build stage exists in the repository."""
    for op, arg in _dockerfile_instructions():
        if op == "COPY" and not arg.startswith("--from"):
            for source in arg.split()[:-1]:
                assert (REPO / source).exists(), source
