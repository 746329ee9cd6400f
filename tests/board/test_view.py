"""The board's pure aggregator: counts, latest per key, ambulance targets, sparklines, no patient ids."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import hub.board
from hub.board.view import BoardNames, BoardState, UnitInfo, reference_time
from hub.events import EventType, UnitKind
from hub.events.outputs import AvvikStatus, MetricPeriod, MetricScope
from tests.board.records import PSEUDONYM, avvik, beds, mission, mission_event, pathway

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
PURE_BOARD_MODULES = {"hub.board.labels", "hub.board.series", "hub.board.ambulance"}


def _state(**kwargs: object) -> BoardState:
    return BoardState(
        BoardNames(
            kommuner={"5006": "Steinkjer", "5037": "Levanger"},
            units={"K5006-KAD": UnitInfo("Steinkjer KAD", UnitKind.KAD_SOMATISK, 5)},
        ),
        **kwargs,  # type: ignore[arg-type]
    )


def test_empty_state_gives_a_complete_snapshot() -> None:
    """A board with no records still renders: zero counts, every avvik code listed, no units."""
    snap = _state().snapshot(NOW)
    assert snap["totals"]["open_avvik"] == 0
    assert snap["totals"]["belegg"] is None
    assert [c["code"] for c in snap["avvik"]["by_code"]] == [f"SA{i:02d}" for i in range(1, 15)]
    assert snap["unit_groups"] == []
    json.dumps(snap)


def test_open_and_resolved_avvik_are_counted_apart() -> None:
    """Open avvik count as open, resolved ones of the last day as recently resolved; retracted ones vanish."""
    state = _state()
    state.apply_avvik(avvik("a1", "SA01", NOW - timedelta(hours=3)))
    state.apply_avvik(avvik("a2", "SA03", NOW - timedelta(hours=2)))
    state.apply_avvik(
        avvik(
            "a3",
            "SA07",
            NOW - timedelta(hours=5),
            status=AvvikStatus.RESOLVED,
            resolved_at=NOW - timedelta(hours=1),
        )
    )
    state.apply_avvik(avvik("a4", "SA04", NOW - timedelta(hours=1), status=AvvikStatus.RETRACTED))
    view = state.snapshot(NOW)["avvik"]
    assert view["open_count"] == 2
    assert view["resolved_count"] == 1
    assert view["retracted_count"] == 1
    by_code = {c["code"]: c for c in view["by_code"]}
    assert by_code["SA01"]["open"] == 1
    assert by_code["SA07"] == {"code": "SA07", "name": "Epikrise forsinket", "open": 0, "resolved": 1}
    assert [row["code"] for row in view["open"]] == ["SA03", "SA01"]  # newest first
    assert view["open"][1]["age_seconds"] == 3 * 3600
    assert view["open"][1]["kommune_name"] == "Steinkjer"
    assert view["resolved"][0]["resolved_seconds_ago"] == 3600


def test_latest_version_of_an_avvik_wins() -> None:
    """A later record with the same avvik id replaces the earlier one (compacted topic semantics)."""
    state = _state()
    state.apply_avvik(avvik("a1", "SA01", NOW - timedelta(hours=3)))
    state.apply_avvik(
        avvik(
            "a1",
            "SA01",
            NOW - timedelta(hours=3),
            status=AvvikStatus.RESOLVED,
            resolved_at=NOW - timedelta(hours=2),
        )
    )
    view = state.snapshot(NOW)["avvik"]
    assert view["open_count"] == 0
    assert view["resolved_count"] == 1


def test_resolved_long_ago_is_not_recent() -> None:
    """An avvik resolved more than a day before the reference time is not listed as recently resolved."""
    state = _state()
    state.apply_avvik(avvik("a1", "SA01", NOW, status=AvvikStatus.RESOLVED, resolved_at=NOW))
    state.apply_avvik(
        avvik(
            "a2",
            "SA02",
            NOW - timedelta(days=3),
            status=AvvikStatus.RESOLVED,
            resolved_at=NOW - timedelta(days=2),
        )
    )
    assert state.snapshot(NOW)["avvik"]["resolved_count"] == 1


def test_tombstone_removes_an_avvik() -> None:
    """A tombstone on the compacted avvik topic removes the avvik from the board."""
    state = _state()
    state.apply_avvik(avvik("a1", "SA01", NOW))
    state.remove_avvik("a1")
    assert state.snapshot(NOW)["avvik"]["open_count"] == 0


def test_bars_use_the_latest_live_unit_record() -> None:
    """Each unit's bar shows its newest LIVE UNIT record; older, HOUR and KOMMUNE records do not count."""
    state = _state()
    state.apply_beds(beds("K5006-KAD", NOW - timedelta(minutes=10), 4, 5))
    state.apply_beds(beds("K5006-KAD", NOW - timedelta(minutes=30), 1, 5))  # late, older
    state.apply_beds(beds("K5006-KAD", NOW, 2, 5, period=MetricPeriod.HOUR))
    state.apply_beds(beds("5006", NOW, 9, None, scope=MetricScope.KOMMUNE))
    state.apply_beds(beds("HNT-LEV-MED", NOW, 27, 28, kind=UnitKind.WARD))
    snap = state.snapshot(NOW)
    groups = {g["key"]: g for g in snap["unit_groups"]}
    assert list(groups) == ["kad", "sykehus"]
    kad = groups["kad"]["units"][0]
    assert (kad["name"], kad["occupied"], kad["capacity"], kad["belegg"]) == ("Steinkjer KAD", 4, 5, 0.8)
    assert kad["kind_label"] == "KAD somatikk"
    assert snap["totals"]["occupied"] == 31
    assert snap["totals"]["capacity"] == 33
    assert snap["totals"]["belegg"] == round(31 / 33, 4)


def test_capacity_falls_back_to_master_data() -> None:
    """A unit record without capacity takes the capacity from master data."""
    state = _state()
    state.apply_beds(beds("K5006-KAD", NOW, 3, None))
    unit = state.snapshot(NOW)["unit_groups"][0]["units"][0]
    assert (unit["capacity"], unit["belegg"]) == (5, 0.6)


def test_waiting_per_kommune_with_overliggedogn_and_betalingsplikt() -> None:
    """Utskrivningsklare per oppholdskommune come from pathway state; overliggedøgn and NOK from SA05."""
    state = _state()
    state.apply_pathway(pathway("p1", "HOSPITAL", NOW - timedelta(days=2)))
    state.apply_pathway(pathway("p1", "UTSKRIVNINGSKLAR", NOW - timedelta(days=1)))
    state.apply_pathway(pathway("p2", "UTSKRIVNINGSKLAR", NOW - timedelta(hours=5)))
    state.apply_pathway(pathway("p3", "UTSKRIVNINGSKLAR", NOW - timedelta(hours=5), kommune="5037"))
    state.apply_pathway(pathway("p3", "HOME", NOW - timedelta(hours=1), kommune="5037"))
    state.apply_avvik(avvik("o1", "SA05", NOW - timedelta(days=1), days=2, nok=11490.0))
    state.apply_avvik(
        avvik("o2", "SA05", NOW - timedelta(days=1), days=1, nok=5745.0, status=AvvikStatus.RESOLVED)
    )
    state.apply_avvik(avvik("o3", "SA05", NOW, days=9, nok=9.0, status=AvvikStatus.RETRACTED))
    snap = state.snapshot(NOW)
    rows = {k["kommune"]: k for k in snap["kommuner"]}
    assert rows["5006"] == {
        "kommune": "5006",
        "name": "Steinkjer",
        "waiting": 2,
        "longest_wait_hours": 24.0,  # p1, utskrivningsklar since a day
        "overliggedogn": 3,
        "betalingsplikt_nok": 17235.0,
        "open_avvik": 1,
    }
    assert "5037" not in rows  # its only patient went home
    assert snap["totals"]["waiting"] == 2
    assert snap["totals"]["betalingsplikt_nok"] == 17235.0


def test_ambulance_share_within_target_by_area() -> None:
    """Akutt response within 12 min (tettsted) / 25 min (spredtbygd) is within target; others have none."""
    state = _state()
    start = NOW - timedelta(hours=2)
    for i, minutes in enumerate([8, 11.5, 12, 14]):
        state.apply_all(mission(f"t{i}", start, minutes, area="TETTSTED"))
    for i, minutes in enumerate([20, 30]):
        state.apply_all(mission(f"r{i}", start, minutes, area="RURAL"))
    state.apply_all(mission("h1", start, 40, hastegrad="HASTER"))
    view = state.snapshot(NOW)["ambulance"]
    groups = {(g["hastegrad"], g["area"]): g for g in view["groups"]}
    assert groups[("AKUTT", "TETTSTED")]["within"] == 3
    assert groups[("AKUTT", "TETTSTED")]["share_within"] == 0.75
    assert groups[("AKUTT", "RURAL")]["share_within"] == 0.5
    assert groups[("HASTER", "TETTSTED")]["target_minutes"] is None
    assert groups[("HASTER", "TETTSTED")]["median_minutes"] == 40.0
    assert view["akutt_share"] == round(4 / 6, 4)
    assert sum(view["histogram"]["within"]) == 4
    assert sum(view["histogram"]["over"]) == 2


def test_ambulance_pairs_out_of_order_and_ignores_cancelled() -> None:
    """ON_SCENE before CALL_RECEIVED still pairs; cancelled missions and unanswered calls are no responses."""
    state = _state()
    call, scene = mission("m1", NOW - timedelta(minutes=30), 10)
    state.apply_event(scene)
    state.apply_event(call)
    state.apply_all(mission("m2", NOW - timedelta(minutes=30), 5))
    state.apply_event(mission_event(EventType.CANCELLED, "m2", NOW - timedelta(minutes=20)))
    state.apply_event(mission_event(EventType.CALL_RECEIVED, "m3", NOW - timedelta(minutes=15)))
    view = state.snapshot(NOW)["ambulance"]
    assert view["akutt_n"] == 1
    assert view["pending"] == 1
    assert view["pending_over_target"] == 1  # 15 min > 12 min tettsted


def test_sparklines_follow_event_time() -> None:
    """Sparklines show occupancy, open avvik and waiting as they were over the window, ending at now."""
    state = _state()
    state.apply_beds(beds("K5006-KAD", NOW - timedelta(hours=4), 1, 5))
    state.apply_beds(beds("K5006-KAD", NOW - timedelta(hours=1), 5, 5))
    state.apply_avvik(avvik("a1", "SA01", NOW - timedelta(hours=2)))
    state.apply_pathway(pathway("p1", "UTSKRIVNINGSKLAR", NOW - timedelta(hours=3)))
    spark = state.snapshot(NOW)["sparklines"]
    assert spark["start"] == (NOW - timedelta(hours=4)).isoformat()
    assert spark["end"] == NOW.isoformat()
    assert spark["occupied"][0] == 1
    assert spark["occupied"][-1] == 5
    assert spark["belegg"][-1] == 1.0
    assert spark["open_avvik"][0] == 0
    assert spark["open_avvik"][-1] == 1
    assert spark["waiting"][-1] == 1
    assert spark["units"]["K5006-KAD"][-1] == 5
    assert len(spark["occupied"]) == 40


def test_history_is_viewed_in_event_time() -> None:
    """When all data are far older than now (a replay), ages are measured from the newest event time."""
    state = _state()
    old = NOW - timedelta(days=300)
    state.apply_avvik(avvik("a1", "SA01", old - timedelta(hours=1)))
    state.apply_avvik(avvik("a2", "SA02", old))
    snap = state.snapshot(NOW)
    assert snap["is_history"] is True
    assert snap["reference_time"] == old.isoformat()
    assert snap["avvik"]["open"][1]["age_seconds"] == 3600


def test_reference_time_needs_an_aware_now() -> None:
    """A naive ``now`` is refused: the board never guesses a time zone."""
    with pytest.raises(ValueError, match="time zone"):
        reference_time(datetime(2024, 1, 1), None)  # noqa: DTZ001


def test_snapshot_holds_no_patient_identifiers() -> None:
    """Pseudonyms, pathway ids and evidence ids never reach the snapshot; manual avvik text is not shown."""
    state = _state()
    state.apply_avvik(avvik("a1", "SA14", NOW, pseudonym=PSEUDONYM))
    state.apply_avvik(avvik("a2", "SA05", NOW, pseudonym=PSEUDONYM, days=1, nok=5745.0))
    state.apply_pathway(pathway(PSEUDONYM, "UTSKRIVNINGSKLAR", NOW))
    state.apply_all(mission("m1", NOW - timedelta(minutes=20), 9))
    state.apply_beds(beds("K5006-KAD", NOW, 2, 5))
    text = json.dumps(state.snapshot(NOW))
    assert PSEUDONYM not in text
    assert "pathway-of" not in text
    assert "evidence" not in text
    assert "SA14 tekst" not in text


def test_pathway_without_updated_at_uses_its_newest_instant() -> None:
    """A pathway record without ``updated_at`` is placed at its utskrivningsklar time and still counts."""
    state = _state()
    record = pathway("p1", "UTSKRIVNINGSKLAR", NOW - timedelta(hours=2)).model_copy(
        update={"updated_at": None}
    )
    state.apply_pathway(record)
    snap = state.snapshot(NOW)
    assert snap["totals"]["waiting"] == 1
    assert snap["sparklines"]["waiting"][-1] == 1


def test_version_changes_with_every_record() -> None:
    """The version increases whenever a record is applied, so the server knows when to push."""
    state = _state()
    before = state.version
    state.apply_beds(beds("K5006-KAD", NOW, 2, 5))
    assert state.version > before


def test_aggregator_modules_do_no_io() -> None:
    """The view, its labels and series helpers import no Kafka, HTTP or serde module (a pure core)."""
    forbidden = ("aiohttp", "aiokafka", "confluent_kafka", "faust", "hub.serde", "hub.infra", "hub.board.")
    for name in ("view.py", "labels.py", "series.py", "ambulance.py"):
        tree = ast.parse((Path(hub.board.__file__).parent / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            io = [m for m in modules if m.startswith(forbidden) and m not in PURE_BOARD_MODULES]
            assert not io, f"{name} imports {io}"
