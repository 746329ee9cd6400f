"""Tests of the environment handed to child processes."""

from __future__ import annotations

from pathlib import Path

from hub.settings import HubSettings, TopicSettings, load_settings, settings_env


def test_child_environment_reproduces_the_settings(tmp_path: Path) -> None:
    """A child reading the environment gets the same topics, data dir, ports and Kafka as the parent."""
    parent = HubSettings(
        topics=TopicSettings(events="x.events", avvik="x.avvik", partitions=3), data_dir=tmp_path / "d"
    )
    parent.web.worker_port = 7001
    parent.kafka.session_timeout_s = 9.5
    env = settings_env(parent, base={"PATH": "/bin", "HUB_PSEUDONYM__ACTIVE_KEY_ID": "dev1"})
    assert env["PATH"] == "/bin"
    assert env["HUB_PSEUDONYM__ACTIVE_KEY_ID"] == "dev1"  # inherited settings carry over
    import os

    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        child = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert child.topics == parent.topics
    assert child.data_dir == parent.data_dir
    assert child.web.worker_port == 7001
    assert child.kafka.bootstrap_servers == parent.kafka.bootstrap_servers
    assert child.kafka.session_timeout_s == 9.5
