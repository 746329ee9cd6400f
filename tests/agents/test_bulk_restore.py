"""Filling table partitions straight from their changelogs (``agents.bulk_restore``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from rocksdict import Options, Rdict, WriteBatch

from agents.bulk_restore import Filled, bulk_restore, plan
from hub.kafka.topics import TopicSpec, ensure_topics
from hub.settings import HubSettings

OFFSET_KEY = b"__faust\0offset__"


def test_only_partitions_far_enough_behind_are_filled_from_the_offset_after_the_applied_one() -> None:
    persisted = {("c", 0): None, ("c", 1): 99, ("c", 2): 480, ("c", 3): None}
    ends = {("c", 0): 500, ("c", 1): 500, ("c", 2): 500, ("c", 3): 0}
    assert plan(persisted, ends, min_records=100) == {("c", 0): 0, ("c", 1): 100}
    assert plan(persisted, ends, min_records=1) == {("c", 0): 0, ("c", 1): 100, ("c", 2): 481}


def _open(path: Path) -> Rdict:
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    return Rdict(str(path), options=options)


@pytest.mark.kafka
def test_records_overwrites_and_tombstones_land_as_faust_would_apply_them(
    infra: HubSettings, tmp_path: Path
) -> None:
    topic = f"bulk-{uuid.uuid4().hex[:8]}-changelog"
    ensure_topics(infra, [TopicSpec(topic, 2, (("cleanup.policy", "compact"),))])
    producer = Producer(infra.kafka.confluent_config())
    writes: list[tuple[bytes, bytes | None]] = [(b"a", b"1"), (b"b", b"2"), (b"a", b"3"), (b"b", None)]
    writes += [(f"k{i}".encode(), f"v{i}".encode()) for i in range(2500)]
    for key, value in writes:
        producer.produce(topic, key=key, value=value, partition=0)
    producer.produce(topic, key=b"other", value=b"x", partition=1)
    assert producer.flush(30) == 0
    stores = {(topic, 0): tmp_path / "t-0.db", (topic, 1): tmp_path / "t-1.db"}

    def fill() -> Filled:
        new_batch = lambda: WriteBatch(raw_mode=True)  # noqa: E731
        return bulk_restore(
            infra, stores, offset_key=OFFSET_KEY, open_db=_open, new_batch=new_batch, min_records=2
        )

    filled = fill()
    assert (filled.partitions, filled.records) == (1, len(writes))  # partition 1 is 1 record behind: faust's
    db = _open(stores[(topic, 0)])
    try:
        assert db.get(b"a") == b"3"
        assert db.get(b"b") is None
        assert db.get(b"k2499") == b"v2499"
        assert db.get(OFFSET_KEY) == str(len(writes) - 1).encode()
    finally:
        db.close()
    assert not stores[(topic, 1)].exists()
    assert fill().partitions == 0  # up to date now
