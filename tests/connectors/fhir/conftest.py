"""Fixtures for the FHIR connector tests: clean environment and settings without a registry."""

from __future__ import annotations

import os

import pytest

from hub.settings import HubSettings, RegistrySettings, TopicSettings


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
