"""The KPR connector tests' receive time (the other fixtures come from tests/connectors/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


@pytest.fixture
def received_at() -> datetime:
    """Extracts arrive the morning after the day they cover."""
    return datetime(2024, 4, 3, 8, 0, tzinfo=UTC)
