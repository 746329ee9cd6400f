"""Loading history for a replay keeps each partition's order through producer retries."""

from __future__ import annotations

import pytest

from hub.settings import HubSettings


def test_the_ordered_producer_keeps_order_through_retries_and_replays_load_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """librdkafka reorders a partition's records on retry unless the producer is idempotent; `hub replay`
    loads history through :meth:`KafkaSettings.ordered_producer_config` (it used the plain config)."""
    from agents import replay
    from hub.settings import KafkaSettings

    conf = KafkaSettings().ordered_producer_config()
    assert conf["enable.idempotence"] == "true"
    assert conf["acks"] == "all"
    seen: list[dict[str, object]] = []

    class Capture:
        def __init__(self, config: dict[str, object]) -> None:
            seen.append(config)

        def produce(self, *args: object, **kwargs: object) -> None:
            return None

        def poll(self, timeout: float) -> int:
            return 0

        def flush(self, timeout: float = 0) -> int:
            return 0

    monkeypatch.setattr(replay, "Producer", Capture)
    monkeypatch.setattr(replay, "codec_for", lambda *a, **k: type("C", (), {"close": lambda self: None})())
    replay.load_events(HubSettings(env="dev"), [])
    assert seen
    assert seen[0]["enable.idempotence"] == "true"
