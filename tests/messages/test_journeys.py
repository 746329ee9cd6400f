"""Message search without a broker: journeys by id, patient, time, source and status from fake topics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from hub.identity import Pseudonymiser
from hub.ops.journeys import MessageStatus, Query, journeys
from hub.ops.message_search import patient_pseudonyms, read_records
from hub.settings import HubSettings, PseudonymSettings, RegistrySettings
from tests.connectors.hl7v2.hl7_samples import DNR, FNR
from tests.messages.records import RECEIVED, MemorySource, admission


@pytest.fixture
def settings() -> HubSettings:
    """Development settings, single-object encoding."""
    return HubSettings(registry=RegistrySettings(url=None))


def _find(source: MemorySource, query: Query) -> list[str]:
    return [j.message_id for j in journeys(query, read_records(source.settings, source, query))]


def test_find_by_id_gives_the_whole_journey(settings: HubSettings) -> None:
    """By message id: its raw record, its events, the avvik citing them and the patient's pathway state."""
    source = MemorySource(settings)
    _raw, events = admission(source, FNR, "M1")
    admission(source, DNR, "M2")
    query = Query(message_id="M1")
    [journey] = journeys(query, read_records(settings, source, query))
    assert journey.status is MessageStatus.MAPPED
    assert journey.raw is not None
    assert journey.raw.link == f"{settings.topics.raw_hl7v2}:0:0"
    assert [e.record.event_id for e in journey.events] == [e.event_id for e in events]
    assert [a.record.code for a in journey.avvik] == ["SA02"]
    assert [p.record.pathway_id for p in journey.pathways] == ["P1"]
    assert journey.to_dict()["events"][0]["event_type"] == "ADMITTED"


def test_find_by_patient_under_every_key(settings: HubSettings) -> None:
    """A person number finds its messages by its pseudonym, also those made under an older key."""
    dev = settings.pseudonym.keys["dev1"]
    rotated = PseudonymSettings(
        keys={"old": SecretStr("an-old-secret-of-16+"), "dev1": dev}, active_key_id="old"
    )
    source = MemorySource(settings.model_copy(update={"pseudonym": rotated}))
    admission(source, FNR, "OLD-1")  # made while "old" was the active key
    source.settings = settings.model_copy(
        update={"pseudonym": rotated.model_copy(update={"active_key_id": "dev1"})}
    )
    admission(source, FNR, "NEW-1", at=RECEIVED + timedelta(hours=1))
    admission(source, DNR, "OTHER-1")
    pseudonyms = patient_pseudonyms(FNR, Pseudonymiser.from_settings(rotated), rotated.keys)
    assert len(pseudonyms) == 2
    assert _find(source, Query(pseudonyms=pseudonyms)) == ["OLD-1", "NEW-1"]
    one_key = patient_pseudonyms(FNR, Pseudonymiser.from_settings(settings.pseudonym), ["dev1"])
    assert _find(source, Query(pseudonyms=one_key)) == ["NEW-1"]


def test_unmapped_messages_are_found_by_the_token_in_their_payload(settings: HubSettings) -> None:
    """An A08 (valid, no events) names the patient only in its redacted payload; a patient search finds it."""
    source = MemorySource(settings)
    admission(source, FNR, "UPD-1", trigger="A08")
    pseudonyms = patient_pseudonyms(
        FNR, Pseudonymiser.from_settings(settings.pseudonym), settings.pseudonym.keys
    )
    [journey] = journeys(Query(pseudonyms=pseudonyms), read_records(settings, source, Query()))
    assert journey.status is MessageStatus.UNMAPPED
    assert journey.events == ()


def test_time_source_and_status_narrow_the_search(settings: HubSettings) -> None:
    """since/until bound the receive time; source and status filter; accepted covers mapped and unmapped."""
    source = MemorySource(settings)
    admission(source, FNR, "EARLY", at=RECEIVED)
    admission(source, FNR, "LATE", at=RECEIVED + timedelta(days=1))
    admission(source, DNR, "UPD", at=RECEIVED + timedelta(days=1), trigger="A08")
    day2 = RECEIVED + timedelta(hours=12)
    assert _find(source, Query(since=day2)) == ["LATE", "UPD"]
    assert _find(source, Query(until=day2)) == ["EARLY"]
    assert _find(source, Query(status=MessageStatus.UNMAPPED)) == ["UPD"]
    assert _find(source, Query(status=MessageStatus.ACCEPTED)) == ["EARLY", "LATE", "UPD"]
    assert _find(source, Query(status=MessageStatus.DEAD_LETTERED)) == []
    source.reads.clear()
    assert _find(source, Query(source="plo")) == []
    assert settings.topics.raw_hl7v2 not in source.reads  # only the chosen source's raw topic is read
