"""The synthetic canonical-event generator."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from hub.events import Event, EventType
from hub.masterdata import load_masterdata
from hub.synth import SynthConfig, generate


def test_same_seed_same_events_in_time_order() -> None:
    """Two runs with the same seed give identical events, ordered by (occurred_at, event_id)."""
    md = load_masterdata()
    first = list(generate(md, SynthConfig(seed=7), 2000))
    second = list(generate(md, SynthConfig(seed=7), 2000))
    assert len(first) == 2000
    assert [e.model_dump_json() for e in first] == [e.model_dump_json() for e in second]
    keys = [(e.occurred_at, e.event_id) for e in first]
    assert keys == sorted(keys)
    assert len({e.event_id for e in first}) == 2000


def test_pathways_cover_all_event_groups_with_realistic_ids() -> None:
    """A generated set holds hospital, PLO, KAD, ambulance and correction events with source ids."""
    md = load_masterdata()
    events = list(generate(md, SynthConfig(seed=3, deviation_share=0.5), 5000))
    kinds = Counter(e.event_type for e in events)
    for wanted in (
        EventType.CALL_RECEIVED,
        EventType.ADMITTED,
        EventType.TRANSFERRED,
        EventType.DECLARED_READY,
        EventType.MUNICIPALITY_RESPONDED,
        EventType.DISCHARGED,
        EventType.EPIKRISE_SENT,
        EventType.KAD_ADMITTED,
        EventType.MUNICIPAL_SERVICE_STARTED,
        EventType.MESSAGE_REJECTED,
    ):
        assert kinds[wanted] > 0, wanted
    assert any(e.correction is not None for e in events)
    assert all(e.source.message_id.split("-")[0] in {"ADT", "PLO", "AMK", "KPR", "AVV"} for e in events)
    kommuner = {k.kommunenummer for k in md.kommuner_of("HF-HNT", events[0].occurred_at.date())}
    assert {e.patient.bostedskommune for e in events if e.patient} <= kommuner


def test_deviation_share_zero_gives_fewer_deviation_messages() -> None:
    """With no deviations there are no rejections or cancellations."""
    events = list(generate(load_masterdata(), SynthConfig(seed=5, deviation_share=0.0), 3000))
    assert not any(e.event_type is EventType.MESSAGE_REJECTED for e in events)
    assert not any(e.correction is not None for e in events)


def test_module_entry_point_writes_jsonl(tmp_path: Path) -> None:
    """``python -m hub.synth`` writes N parseable canonical events."""
    out = tmp_path / "events.jsonl"
    subprocess.run(
        [sys.executable, "-m", "hub.synth", "--events", "300", "--seed", "2", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    assert Event.model_validate_json(lines[0]).event_id
