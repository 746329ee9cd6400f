"""Local worker state checked against the broker before faust starts (no broker needed)."""

from __future__ import annotations

from pathlib import Path

from agents.local_state import BrokerIdentity, read_persisted_offset, stale_reasons

CURRENT = BrokerIdentity("cluster-B", {"app-beds-changelog": "id-2"})


def test_state_of_the_same_broker_within_the_changelog_is_kept() -> None:
    """Offsets below the changelog ends, same cluster and topic ids: nothing to wipe."""
    assert (
        stale_reasons(CURRENT, CURRENT, {("app-beds-changelog", 0): 4}, {("app-beds-changelog", 0): 5}) == []
    )


def test_state_of_another_cluster_is_stale_even_when_the_offsets_fit() -> None:
    """A purged or other broker has a new cluster id; the state is stale whatever its offsets."""
    recorded = BrokerIdentity("cluster-A", {"app-beds-changelog": "id-1"})
    reasons = stale_reasons(
        recorded, CURRENT, {("app-beds-changelog", 0): 1}, {("app-beds-changelog", 0): 50}
    )
    assert reasons == ["it was built on Kafka cluster cluster-A, not cluster-B"]


def test_a_recreated_changelog_makes_the_state_stale() -> None:
    """The same cluster, but the changelog topic was deleted and made again (new topic id)."""
    recorded = BrokerIdentity("cluster-B", {"app-beds-changelog": "id-1"})
    assert stale_reasons(recorded, CURRENT, {}, {}) == ["changelog topics were recreated: app-beds-changelog"]


def test_offsets_beyond_the_changelog_end_make_state_without_a_marker_stale() -> None:
    """State from before markers existed: an applied offset at or past the end (15 > -1 in faust's words)."""
    persisted = {("app-beds-changelog", 0): 15, ("app-beds-changelog", 1): 2}
    reasons = stale_reasons(None, CURRENT, persisted, {("app-beds-changelog", 1): 9})
    assert reasons == [
        "it has applied changelog offsets the broker does not have: app-beds-changelog[0] at 15 >= end 0"
    ]


def test_the_persisted_offset_is_read_from_rocksdb(tmp_path: Path) -> None:
    """The offset faust stores under its offset key is read back read-only; without one it is None."""
    from rocksdict import Options, Rdict

    db = Rdict(str(tmp_path / "beds-0.db"), options=Options(raw_mode=True))
    db[b"__faust\0offset__"] = b"41"
    db.close()
    empty = Rdict(str(tmp_path / "beds-1.db"), options=Options(raw_mode=True))
    empty.close()
    assert read_persisted_offset(tmp_path / "beds-0.db", b"__faust\0offset__") == 41
    assert read_persisted_offset(tmp_path / "beds-1.db", b"__faust\0offset__") is None
