"""Fixtures for every test: the real broker and registry once per session, a fresh topic per test, and no
``HUB_*`` variables leaking in from the developer's shell.

Tests marked ``kafka`` or ``registry`` get the services automatically; sub-directory ``conftest.py``
files add their own fixtures on top of these.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import cimpl
from confluent_kafka.admin import AdminClient

from hub import infra as services
from hub.infra import registry as registry_service
from hub.settings import HubSettings, KafkaSettings, load_settings

# module- and session-scoped fixtures run before ``clean_environ``: they too get the development mode
os.environ.setdefault("HUB_ENV", "dev")
_ENV_AT_START = {k: v for k, v in os.environ.items() if k.startswith("HUB_")}


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """Run every test without HUB_* environment variables but ``HUB_ENV=dev`` (the development pseudonym key
    and static tokens are refused elsewhere)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("HUB_")}
    for key in saved:
        del os.environ[key]
    os.environ["HUB_ENV"] = "dev"
    yield
    for key in [k for k in os.environ if k.startswith("HUB_")]:
        del os.environ[key]
    os.environ.update(saved)


@pytest.fixture(scope="session")
def infra() -> Iterator[HubSettings]:
    """Broker and registry up for the session (reused if already running); settings pointing at them.

    ``HUB_INFRA__*`` variables set when pytest started (e.g. other ports) are honoured.
    """
    settings = _settings_from(_ENV_AT_START)
    started = services.ensure_up(settings.infra, registry=True)
    yield settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(
                update={"bootstrap_servers": f"127.0.0.1:{settings.infra.kafka_port}"}
            ),
            "registry": settings.registry.model_copy(update={"url": registry_service.url(settings.infra)}),
        }
    )
    if started:
        services.down(settings.infra, services=[s for s in services.ALL if s.name in started])


def _settings_from(env: dict[str, str]) -> HubSettings:
    saved = dict(os.environ)
    os.environ.update({"HUB_ENV": "dev", **env})
    try:
        return load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def _infra_for_marked_tests(request: pytest.FixtureRequest) -> None:
    """Start the session services for tests marked ``kafka`` or ``registry``."""
    if request.node.get_closest_marker("kafka") or request.node.get_closest_marker("registry"):
        request.getfixturevalue("infra")


@pytest.fixture
def kafka_settings(infra: HubSettings) -> KafkaSettings:
    """Connection settings of the session broker."""
    return infra.kafka


@pytest.fixture
def bootstrap(infra: HubSettings) -> str:
    """``host:port`` of the session broker."""
    return infra.kafka.bootstrap_servers


@pytest.fixture
def topic(request: pytest.FixtureRequest, kafka_settings: KafkaSettings) -> str:
    """A new topic (3 partitions) whose name is unique to this test."""
    test_name = re.sub(r"[^a-zA-Z0-9_-]", "_", request.node.name)[:150]
    name = f"test.{test_name}.{uuid.uuid4().hex[:8]}"
    admin = AdminClient(kafka_settings.confluent_config())
    for future in admin.create_topics(
        [cimpl.NewTopic(name, num_partitions=3, replication_factor=1)]
    ).values():
        future.result(timeout=30)
    return name
