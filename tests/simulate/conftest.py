"""Fixtures for the simulator tests: clean environment, settings without a registry, a mapping context."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from connectors.formats import MappingContext
from hub.identity import Pseudonymiser
from hub.settings import HubSettings, RegistrySettings, TopicSettings

RECEIVED_AT = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_* variable from the developer's shell leaks into a test (HUB_INFRA__* is kept for `infra`);
    ``HUB_ENV=dev``, as for every test (the development pseudonym key is refused elsewhere)."""
    for name in list(os.environ):
        if name.startswith("HUB_") and not name.startswith("HUB_INFRA__"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_ENV", "dev")


@pytest.fixture
def settings() -> HubSettings:
    """Settings with single-object encoding (no registry) and default topics."""
    return HubSettings(registry=RegistrySettings(url=None), topics=TopicSettings())


@pytest.fixture
def ctx(settings: HubSettings) -> MappingContext:
    """A mapping context that received everything after the simulated events happened."""
    return MappingContext(
        pseudonymiser=Pseudonymiser.from_settings(settings.pseudonym), received_at=RECEIVED_AT
    )
