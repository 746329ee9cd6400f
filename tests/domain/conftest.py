"""Fixtures for the domain core tests."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.domain import AvvikRecord
from hub.events import Event
from hub.masterdata import MasterData, load_masterdata
from hub.synth.build import EventFactory
from tests.domain.helpers import Runner, run_events


@pytest.fixture(scope="session")
def md() -> MasterData:
    """The shipped master data."""
    return load_masterdata()


@pytest.fixture
def run(md: MasterData) -> Runner:
    """``run(events, until=...)`` -> final avvik records by id."""

    def runner(events: list[Event], until: datetime, **kwargs: object) -> dict[str, AvvikRecord]:
        return run_events(md, events, until, **kwargs)  # type: ignore[arg-type]

    return runner


@pytest.fixture
def f() -> EventFactory:
    """An event factory for an 84-year-old patient living in Levanger."""
    return EventFactory("pseudo-patient-0001", birth_year=1940)
