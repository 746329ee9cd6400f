"""The board's waiting times per utskrivningsklar patient and the døgnpris assumption label."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hub.board.view import BoardNames, BoardState
from hub.masterdata import load_masterdata
from tests.board.records import PSEUDONYM, avvik, pathway

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_waiting_list_shows_hours_per_patient_longest_first_without_identifiers() -> None:
    """Each waiting patient shows as kommune and hours waited; discharge removes them; no pseudonym leaks."""
    state = BoardState(BoardNames.from_masterdata(load_masterdata()))
    state.apply_pathway(pathway(PSEUDONYM, "UTSKRIVNINGSKLAR", NOW - timedelta(hours=50), "5037"))
    state.apply_pathway(pathway("PSEUDO-OTHER-01", "UTSKRIVNINGSKLAR", NOW - timedelta(hours=3), "5006"))
    snap = state.snapshot(NOW)
    assert [(w["name"], w["hours"]) for w in snap["waiting_list"]] == [("Levanger", 50.0), ("Steinkjer", 3.0)]
    by_kommune = {k["kommune"]: k["longest_wait_hours"] for k in snap["kommuner"]}
    assert by_kommune["5037"] == 50.0
    assert PSEUDONYM not in json.dumps(snap)
    state.apply_pathway(pathway(PSEUDONYM, "DISCHARGED", NOW - timedelta(hours=1), "5037"))
    assert [w["kommune"] for w in state.snapshot(NOW)["waiting_list"]] == ["5006"]


def test_assumed_dognpris_is_labelled_when_the_amounts_use_it() -> None:
    """Overliggedøgn of 2025 (an assumed døgnpris in master data) carry the label; a 2024 view does not."""
    names = BoardNames.from_masterdata(load_masterdata())
    assert 2025 in names.assumed_dognpris_years
    state = BoardState(names)
    state.apply_avvik(avvik("a1", "SA05", NOW - timedelta(days=2), days=2, nok=11_490.0))
    view = state.snapshot(NOW)["dognpris"]
    assert view["applies"] is True
    assert "2025" in view["label"]
    old = BoardState(names)
    old.apply_avvik(avvik("a2", "SA05", datetime(2024, 3, 1, tzinfo=UTC), days=2, nok=11_490.0))
    assert old.snapshot(datetime(2024, 3, 2, tzinfo=UTC))["dognpris"]["applies"] is False
