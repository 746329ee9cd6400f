"""One stay across sources: HL7 ADT, PLO/ELIN and Epikrise facts about one real stay are judged as one."""

from __future__ import annotations

import random
from datetime import timedelta

from hub.domain import AvvikRecord, AvvikUpsert, Engine, EngineConfig, PathwayChanged
from hub.domain.episodes import StayJoin, build_episodes
from hub.domain.facts import fact_from_event
from hub.domain.organisations import Places, resolve_hf, stay_hint
from hub.events import Event, EventType, NoticeKind, Organisation, Place
from hub.masterdata import MasterData
from hub.synth.build import EventFactory
from tests.domain.helpers import T0, run_events

H = timedelta(hours=1)
D = timedelta(days=1)
LEVANGER_HER = "9900101"  # organisations.csv: Sykehuset Levanger (HNT)
NAMSOS_HER = "9900201"
KOMMUNE_HER = "995037"


def _as_source(event: Event, alias: str | None, org: Organisation) -> Event:
    """The same fact as another source states it: its own stay id and its own name for the place."""
    body = event.body.model_copy(update={"episode_id": alias})
    return event.model_copy(update={"body": body, "organisation": org})


def _hl7(event: Event, visit: str = "4711") -> Event:
    return _as_source(event, visit, Organisation(hospital="SLE", unit_id="LEVMED"))


def _plo(event: Event, alias: str = f"plo:{LEVANGER_HER}:current", her: str = LEVANGER_HER) -> Event:
    return _as_source(event, alias, Organisation(her_id=her))


def _stay_facts(f: EventFactory, *, answer_after: timedelta) -> list[tuple[str, Event]]:
    """A stay with a late answer (SA04, SA05), a discharge to sykehjem and a late epikrise (SA07).

    Each fact is tagged with the source that carries it in a real region.
    """
    ready = T0 + 2 * D
    out = ready + 3 * D
    return [
        ("hl7", f.admitted(T0, "E1")),
        ("plo", f.notified(T0 + 30 * H, "E1", NoticeKind.ADMISSION)),
        ("plo", f.episode_event(EventType.DECLARED_READY, ready, "E1")),
        ("plo", f.notified(ready + H, "E1", NoticeKind.READY)),
        ("plo", f.responded(ready + answer_after, "E1", can_receive=True)),
        ("hl7", f.discharged(out, "E1", Place.SYKEHJEM)),
        ("epikrise", f.report(EventType.EPIKRISE_SENT, out + 2 * D, "E1")),
    ]


def _render(tagged: list[tuple[str, Event]]) -> list[Event]:
    admitted_on = tagged[0][1].occurred_at.date().isoformat()
    out: list[Event] = []
    for source, event in tagged:
        if source == "hl7":
            out.append(_hl7(event))
        elif source == "plo":
            out.append(_plo(event))
        else:
            out.append(_plo(event, alias=f"plo:{LEVANGER_HER}:{admitted_on}"))
    return out


def _seen(records: dict[str, AvvikRecord]) -> list[tuple[str, str, int, int | None, int | None]]:
    return sorted((r.code, r.status.value, r.detected_at, r.resolved_at, r.days) for r in records.values())


def test_mixed_sources_give_the_avvik_of_one_source(md: MasterData) -> None:
    """HL7 admission and discharge, PLO notices and answer and an Epikrise give what one source gives."""
    f = EventFactory("pseudo-join-0001", birth_year=1938)
    f.seq = 0
    tagged = _stay_facts(f, answer_after=2 * D)
    until = T0 + 12 * D
    single = run_events(md, [e for _, e in tagged], until)
    mixed = run_events(md, _render(tagged), until)
    assert _seen(mixed) == _seen(single)
    codes = {r.code for r in single.values()}
    assert {"SA01", "SA04", "SA05", "SA07"} <= codes, codes


def test_mixed_sources_in_any_arrival_order_give_the_same_avvik(md: MasterData) -> None:
    """Arrival order does not change the joined result (lateness larger than the spread)."""
    f = EventFactory("pseudo-join-0002", birth_year=1938)
    events = _render(_stay_facts(f, answer_after=30 * H))
    until = T0 + 12 * D
    lateness = timedelta(days=10)
    expected = _seen(run_events(md, events, until, lateness=lateness))
    rng = random.Random(7)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert _seen(run_events(md, shuffled, until, lateness=lateness)) == expected


def _episodes(md: MasterData, events: list[Event], join: StayJoin | None = None):  # type: ignore[no-untyped-def]
    places = Places(md)
    facts = [fact_from_event(e, places=places) for e in events]
    return build_episodes(facts, join or StayJoin())


def test_two_sources_reporting_one_admission_make_one_stay(md: MasterData) -> None:
    """HL7 A01 and PLO LOG_INNLAGT 20 min apart at one HF are one stay with both ids as aliases."""
    f = EventFactory("pseudo-join-0003")
    hl7 = _hl7(f.admitted(T0, "E1"), visit="4711")
    plo = _plo(f.admitted(T0 + timedelta(minutes=20), "E1"), alias=f"plo:{LEVANGER_HER}:2024-03-04")
    eps = _episodes(md, [plo, hl7])
    [stay] = eps.valid_stays()
    assert stay.episode_id == "4711"
    assert stay.aliases == {"4711", f"plo:{LEVANGER_HER}:2024-03-04"}


def test_admissions_apart_or_at_other_hf_stay_apart(md: MasterData) -> None:
    """Beyond the tolerance, or at another helseforetak, two admissions are two stays."""
    f = EventFactory("pseudo-join-0004")
    first = _hl7(f.admitted(T0, "E1"), visit="1")
    late = _hl7(f.admitted(T0 + 3 * H, "E2"), visit="2")
    assert len(_episodes(md, [first, late]).valid_stays()) == 2
    other_hf = _as_source(f.admitted(T0 + timedelta(minutes=5), "E3"), "3", Organisation(hf="FINNMARK"))
    assert len(_episodes(md, [first, other_hf]).valid_stays()) == 2
    assert len(_episodes(md, [first, late], StayJoin(tolerance=4 * 3600)).valid_stays()) == 1


def test_fact_without_stay_id_attaches_to_the_covering_stay(md: MasterData) -> None:
    """A PLO notice (no stay id) goes to the stay open at its time; after discharge + grace to none."""
    f = EventFactory("pseudo-join-0005")
    stay = [_hl7(f.admitted(T0, "E1")), _hl7(f.discharged(T0 + 2 * D, "E1"))]
    ready = _plo(f.episode_event(EventType.DECLARED_READY, T0 + D, "E1"))
    report = _plo(f.report(EventType.UTSKRIVNINGSRAPPORT_SENT, T0 + 40 * D, "E1"))
    eps = _episodes(md, [*stay, ready, report])
    [joined] = eps.valid_stays()
    assert [p.declared.id for p in joined.ready_periods] == [ready.event_id]
    assert EventType.UTSKRIVNINGSRAPPORT_SENT not in joined.reports  # 38 days after discharge > 30-day grace


def test_admission_date_in_the_alias_picks_the_right_stay(md: MasterData) -> None:
    """An epikrise for stay 1 sent during stay 2 joins stay 1: its alias names stay 1's admission date."""
    f = EventFactory("pseudo-join-0006")
    first = [_hl7(f.admitted(T0, "E1"), "1"), _hl7(f.discharged(T0 + D, "E1"), "1")]
    second = [_hl7(f.admitted(T0 + 3 * D, "E2"), "2")]
    epikrise = _plo(
        f.report(EventType.EPIKRISE_SENT, T0 + 4 * D, "E1"), alias=f"plo:{LEVANGER_HER}:2024-03-04"
    )
    eps = _episodes(md, [*first, *second, epikrise])
    by_id = {s.episode_id: s for s in eps.valid_stays()}
    assert EventType.EPIKRISE_SENT in by_id["1"].reports
    assert EventType.EPIKRISE_SENT not in by_id["2"].reports


def test_hl7_cancel_retracts_what_the_joined_plo_facts_raised(md: MasterData) -> None:
    """A11 on the HL7 stay voids the joined stay: SA03 raised from the PLO declaration is retracted."""
    f = EventFactory("pseudo-join-0007", birth_year=1938)
    admitted = _hl7(f.admitted(T0, "E1"))
    ready = _plo(f.episode_event(EventType.DECLARED_READY, T0 + 2 * H, "E1"))
    cancel = _hl7(f.episode_event(EventType.ADMISSION_CANCELLED, T0 + 2 * D, "E1"))
    before = run_events(md, [admitted, ready], T0 + D + H)
    assert any(r.code == "SA03" and r.status.value == "OPEN" for r in before.values())
    engine = Engine(md, config=EngineConfig())
    after = run_events(md, [admitted, ready, cancel], T0 + 3 * D, engine=engine)
    assert all(r.status.value == "RETRACTED" for r in after.values() if r.code == "SA03")


def test_organisation_codes_resolve_to_one_helseforetak(md: MasterData) -> None:
    """HL7 facility and unit codes, HER-ids and PLO aliases all name HNT; an unknown code is counted."""
    assert resolve_hf(md, Organisation(hospital="SLE"), None).hf == "HNT"
    assert resolve_hf(md, Organisation(unit_id="NAMMED"), None).hf == "HNT"
    assert resolve_hf(md, Organisation(her_id=NAMSOS_HER), None).hf == "HNT"
    assert resolve_hf(md, Organisation(her_id=KOMMUNE_HER), f"plo:{LEVANGER_HER}:current").hf == "HNT"
    assert resolve_hf(md, None, "plo:9900301:2024-01-02").hf == "FINNMARK"
    unknown = resolve_hf(md, Organisation(hospital="NOPE"), None)
    assert unknown.hf is None
    assert unknown.unknown == ("hl7-facility", "NOPE")
    places = Places(md)
    f = EventFactory("pseudo-join-0008", hf=None, hospital="NOPE", unit_id=None)
    fact_from_event(f.admitted(T0, "E1"), places=places)
    assert places.unknown == {("hl7-facility", "NOPE"): 1}
    assert places.unit("LEVMED") == "HNT-LEV-MED"


def test_stay_hint_reads_only_plo_aliases() -> None:
    """``plo:<HER>:<date|current>`` gives a hint; HL7 visit numbers and malformed aliases give none."""
    hint = stay_hint("plo:59:2024-03-04")
    assert hint is not None
    assert (hint.hospital_her_id, str(hint.admitted_on)) == ("59", "2024-03-04")
    current = stay_hint("plo:59:current")
    assert current is not None
    assert current.admitted_on is None
    assert stay_hint("4711") is None
    assert stay_hint("plo:59:yesterday") is None
    assert stay_hint(None) is None


def test_patient_kommune_is_kept_when_a_later_source_omits_it(md: MasterData) -> None:
    """An Epikrise without the patient's kommune does not erase the kommune HL7 stated (SA05 billing)."""
    f = EventFactory("pseudo-join-0009", birth_year=1938, bostedskommune="5038")
    events = _render(_stay_facts(f, answer_after=2 * D))
    last = events[-1]
    assert last.patient is not None
    events[-1] = last.model_copy(update={"patient": last.patient.model_copy(update={"bostedskommune": None})})
    records = run_events(md, events, T0 + 12 * D)
    assert {r.kommunenummer for r in records.values() if r.code == "SA05"} == {"5038"}


def test_pathway_state_names_every_source_id_and_avvik_carry_the_pathway(md: MasterData) -> None:
    """The published pathway lists the ambulance mission and each source's stay id; avvik carry its id."""
    f = EventFactory("pseudo-join-0010", birth_year=1938)
    mission = [
        f.mission(EventType.CALL_RECEIVED, T0 - H, "M-77"),
        f.mission(EventType.ARRIVED, T0 - timedelta(minutes=5), "M-77"),
    ]
    events = [*mission, *_render(_stay_facts(f, answer_after=2 * D))]
    engine = Engine(md, config=EngineConfig())
    summaries = []
    records: dict[str, AvvikRecord] = {}
    for event in events:
        for effect in [*engine.apply(event), *engine.advance(event.occurred_at)]:
            if isinstance(effect, PathwayChanged) and effect.summary is not None:
                summaries.append(effect.summary)
            elif isinstance(effect, AvvikUpsert):
                records[effect.record.avvik_id] = effect.record
    last = summaries[-1]
    admitted_on = T0.date().isoformat()
    assert {
        "ambulance:M-77",
        "hospital:4711",
        f"hospital:plo:{LEVANGER_HER}:current",
        f"hospital:plo:{LEVANGER_HER}:{admitted_on}",
    } <= set(last.source_ids)
    assert last.to_dict()["source_ids"] == list(last.source_ids)
    assert records
    assert {r.pathway_id for r in records.values()} == {last.pathway_id}


def test_dialogue_messages_keep_their_conversation_in_the_state() -> None:
    """A Dialogmelding question and answer are facts keyed by conversation, surviving serialisation."""
    from hub.domain.facts import Fact
    from tests.factories import all_examples

    dialogue = [e for e in all_examples() if e.event_type.value.startswith("DIALOGUE_")]
    assert len(dialogue) == 2
    facts = [fact_from_event(e) for e in dialogue]
    assert {f.ep for f in facts} == {"C1"}
    answer = next(f for f in facts if f.type is EventType.DIALOGUE_ANSWER_SENT)
    assert answer.attr(0) == "C1"
    assert [Fact.from_list(f.to_list()) for f in facts] == facts
