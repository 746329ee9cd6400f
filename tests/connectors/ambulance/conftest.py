"""Fixtures for the ambulance connector tests: clean settings, a pseudonymiser and mapping context."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from connectors.formats import MappingContext
from hub.identity import Pseudonymiser
from hub.settings import HubSettings, RegistrySettings, TopicSettings

RECEIVED = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HUB_* variable from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings() -> HubSettings:
    """Settings with single-object encoding (no registry) and default topics."""
    return HubSettings(registry=RegistrySettings(url=None), topics=TopicSettings())


@pytest.fixture
def pseudonymiser(settings: HubSettings) -> Pseudonymiser:
    """The pseudonymiser the connector would build from the settings."""
    return Pseudonymiser.from_settings(settings.pseudonym)


@pytest.fixture
def ctx(pseudonymiser: Pseudonymiser) -> MappingContext:
    """A mapping context with a fixed receive time."""
    return MappingContext(pseudonymiser=pseudonymiser, received_at=RECEIVED)
