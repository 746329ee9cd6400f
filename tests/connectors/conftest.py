"""Fixtures shared by the connector tests: settings without a registry, a pseudonymiser, a mapping context.

(The root conftest already clears HUB_* variables for every test.) A package overrides ``received_at`` for
its own fixed receive time, or ``pseudonymiser`` for its own key.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.formats import MappingContext
from hub.identity import Pseudonymiser
from hub.settings import HubSettings, RegistrySettings, TopicSettings


@pytest.fixture
def settings() -> HubSettings:
    """Settings with single-object encoding (no registry) and default topics."""
    return HubSettings(registry=RegistrySettings(url=None), topics=TopicSettings())


@pytest.fixture
def received_at() -> datetime:
    """The fixed time the connector received the test messages."""
    return datetime(2024, 3, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def pseudonymiser(settings: HubSettings) -> Pseudonymiser:
    """The pseudonymiser the connector would build from the settings."""
    return Pseudonymiser.from_settings(settings.pseudonym)


@pytest.fixture
def ctx(pseudonymiser: Pseudonymiser, received_at: datetime) -> MappingContext:
    """A mapping context with a fixed receive time."""
    return MappingContext(pseudonymiser=pseudonymiser, received_at=received_at)
