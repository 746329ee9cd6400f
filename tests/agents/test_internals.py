"""The faust internals the worker reaches into are checked before it starts; none is looked up with a quiet
fallback."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.transport.consumer import Consumer
from faust.transport.producer import ProducerBuffer

from agents.app import WorkerOptions
from agents.internals import FaustInternalsChanged, check_faust_internals, class_problems, committed_offsets
from agents.web import is_ready
from agents.worker import build_worker
from hub.settings import HubSettings


def test_the_pinned_faust_has_every_internal_the_hub_uses(tmp_path: Path) -> None:
    """On the faust-streaming release in pyproject.toml the check finds nothing changed."""
    assert class_problems() == []
    check_faust_internals(build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(live=False)).app)


def test_a_changed_internal_stops_the_worker_with_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gap hook that is no longer a coroutine, a flush that no longer sends through ``_send_pending``, or
    another release: each named in a one-line error."""

    def add_gap(self: Any, tp: Any, offset_from: int, offset_to: int) -> None: ...

    monkeypatch.setattr(Consumer, "_add_gap", add_gap)
    monkeypatch.delattr(ProducerBuffer, "_send_pending")
    monkeypatch.setattr(faust, "__version__", "0.16.0")
    app = build_worker(HubSettings(data_dir=tmp_path), WorkerOptions(live=False)).app
    with pytest.raises(FaustInternalsChanged) as caught:
        check_faust_internals(app)
    message = str(caught.value)
    assert "\n" not in message
    assert "Consumer._add_gap is no longer a coroutine method" in message
    assert "ProducerBuffer._send_pending is no longer a coroutine method" in message
    assert "faust-streaming is 0.16.0" in message


def test_the_committed_offsets_are_not_looked_up_with_a_fallback() -> None:
    """A consumer without faust's committed-offset mapping is an error, not "no committed offset"."""
    consumer: Any = SimpleNamespace()
    with pytest.raises(AttributeError):
        committed_offsets(consumer)


def test_readiness_is_not_looked_up_with_a_fallback() -> None:
    """An app whose tables have no recovery service is an error, not "never ready"."""
    app: Any = SimpleNamespace(tables=SimpleNamespace(), rebalancing=False)
    with pytest.raises(AttributeError):
        is_ready(app)
