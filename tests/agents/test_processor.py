"""The partition processors without a broker (as faststream's test broker does): in-memory topics and dict
tables, records in, outputs and table writes out; differential against the pure core."""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from prometheus_client import CollectorRegistry

from agents.engines import DictTable
from agents.pipeline import TABLES, Pipeline, build_pipeline
from agents.processor import (
    Batch,
    Outbox,
    Output,
    Record,
    RegistryUnavailable,
    StagedTable,
    apply_writes,
)
from connectors.common.ingest import Ingestor
from connectors.common.sink import MemorySink
from connectors.hl7v2.format import FORMAT as HL7V2
from hub.domain import AvvikUpsert, Engine, EngineConfig, RuleBook
from hub.domain.rules import RULES
from hub.domain.rules.base import RuleContext, Sink
from hub.errors import SerdeError
from hub.events import Event, EventType
from hub.events.outputs import AvvikRecord, BedMetricsRecord, MetricPeriod
from hub.events.transport import DeadLetterRecord
from hub.masterdata import load_masterdata
from hub.observability.metrics import HubMetrics
from hub.settings import HubSettings, RegistrySettings
from hub.synth.generator import SynthConfig, generate
from tests.connectors.hl7v2.hl7_samples import adt

SETTINGS = HubSettings(env="dev", registry=RegistrySettings(url=None))  # single-object Avro
MASTERDATA = load_masterdata()


def _events(n: int = 600, seed: int = 5) -> list[Event]:
    config = SynthConfig(
        helsefellesskap_id="HF-HNT",
        start=datetime(2024, 5, 1, tzinfo=UTC),
        span_days=3,
        deviation_share=0.3,
        seed=seed,
    )
    return list(generate(MASTERDATA, config, n))


class InMemoryBroker:
    """One partition per topic; the compacted outputs kept as their latest value per key."""

    def __init__(self, pipe: Pipeline, tables: dict[str, DictTable]) -> None:
        self.pipe = pipe
        self.tables = tables
        self.queues: dict[str, deque[Record]] = defaultdict(deque)
        self.offsets: dict[str, int] = defaultdict(int)
        self.latest: dict[str, dict[bytes, bytes | None]] = defaultdict(dict)
        self.appended: dict[str, list[bytes]] = defaultdict(list)

    def produce(self, topic: str, key: bytes, value: bytes | None) -> None:
        offset = self.offsets[topic]
        self.offsets[topic] += 1
        self.queues[topic].append(Record(topic, 0, offset, key, value))
        self.latest[topic][key] = value

    def deliver(self, batch: Batch) -> None:
        """What the driver does: tables first, then the outputs."""
        for name, writes in batch.writes.items():
            apply_writes(self.tables[name], writes)
        topics = self.pipe.topics
        for out in batch.outputs:
            value = out.encode()
            if out.topic in (topics.events, topics.beds, topics.joins):
                self.produce(out.topic, out.key, value)
            else:
                self.latest[out.topic][out.key] = value
                if value is not None:
                    self.appended[out.topic].append(value)

    def run(self, batch_size: int) -> None:
        topics = self.pipe.topics
        stages = [
            (topics.events, self.pipe.pathway.process),
            (topics.joins, self.pipe.rejections.process),
            (topics.beds, self.pipe.beds.process),
        ]
        while any(self.queues[name] for name, _ in stages):
            for name, process in stages:
                queue = self.queues[name]
                while queue:
                    records = [queue.popleft() for _ in range(min(batch_size, len(queue)))]
                    batch = process(records)
                    assert batch.done == len(records)
                    self.deliver(batch)


def _run(events: list[Event], batch_size: int, *, per_batch: bool = False) -> InMemoryBroker:
    tables = {name: DictTable() for name in TABLES}
    pipe = build_pipeline(
        SETTINGS, MASTERDATA, HubMetrics(CollectorRegistry()), tables, app_id="t", per_batch=per_batch
    )
    broker = InMemoryBroker(pipe, tables)
    for event in events:
        broker.produce(pipe.topics.events, event.key.encode(), pipe.codecs.event.encode(event))
    broker.run(batch_size)
    return broker


def _avvik(broker: InMemoryBroker) -> dict[str, tuple[str, str]]:
    codec = broker.pipe.codecs.avvik
    out = {}
    for key, value in broker.latest[broker.pipe.topics.avvik].items():
        assert value is not None
        rec: AvvikRecord = codec.decode(value)  # type: ignore[attr-defined]
        out[key.decode()] = (rec.code, rec.status.value)
    return out


def _core(events: list[Event]) -> dict[str, tuple[str, str]]:
    """The pure core on the same events, advanced to the event-time watermark after each (as the worker)."""
    engine = Engine(
        MASTERDATA,
        config=EngineConfig(allowed_lateness=timedelta(seconds=SETTINGS.allowed_lateness_s)),
        rules=RuleBook.from_masterdata(MASTERDATA),
    )
    found: dict[str, tuple[str, str]] = {}
    mark: datetime | None = None
    for event in events:
        effects = engine.apply(event)
        if mark is None or event.occurred_at > mark:
            mark = event.occurred_at
        for effect in effects + engine.advance(mark):
            if isinstance(effect, AvvikUpsert):
                found[effect.record.avvik_id] = (effect.record.code, effect.record.status.value)
    return found


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return sorted(_events(), key=lambda e: e.occurred_at)


def test_the_processors_give_the_pure_cores_avvik(events: list[Event]) -> None:
    got = _avvik(_run(events, batch_size=1))
    want = _core(events)
    assert len(want) > 20, "the synthetic input should raise avvik"
    assert got == want


def test_batches_give_the_same_outputs_as_one_record_at_a_time(events: list[Event]) -> None:
    one = _run(events, batch_size=1)
    many = _run(events, batch_size=64)
    topics = one.pipe.topics
    for topic in (topics.avvik, topics.pathway_state, topics.beds_metrics):
        assert many.latest[topic] == one.latest[topic], topic
    assert dict(many.tables["pathway"].items()) == dict(one.tables["pathway"].items())
    # coalescing: a batch writes each compacted key once, so fewer records for the same final values
    assert len(many.appended[topics.pathway_state]) < len(one.appended[topics.pathway_state])


def test_judging_once_per_patient_per_batch_gives_the_outputs_of_judging_per_record(
    events: list[Event],
) -> None:
    """The batch replay's mode (``per_batch``): the same final avvik, pathway states and bed counts as the
    live worker's one record at a time, from fewer judgements (fewer versions of each key written).

    Not the hourly bed records: the beds stage takes those as a unit's records pass an hour (with the
    day's counts so far), so they follow the order bed changes arrive in, which batching changes (and so
    does the interleaving of partitions in any driver)."""
    one = _run(events, batch_size=1)
    many = _run(events, batch_size=200, per_batch=True)
    topics = one.pipe.topics
    assert len(one.latest[topics.avvik]) > 20
    for topic in (topics.avvik, topics.pathway_state):
        assert many.latest[topic] == one.latest[topic], topic
    counts = _live_counts(one)
    assert sum(counts.values()) > 3, "the input should occupy beds"
    assert _live_counts(many) == counts
    assert many.pipe.counters.values["events"] == one.pipe.counters.values["events"] == len(events)
    assert len(many.appended[topics.avvik]) < len(one.appended[topics.avvik])


def _live_counts(broker: InMemoryBroker) -> dict[str, int]:
    """Each unit's bed count as of its newest change (its newest LIVE record)."""
    codec = broker.pipe.codecs.metrics
    newest: dict[str, tuple[datetime, int]] = {}
    for value in broker.latest[broker.pipe.topics.beds_metrics].values():
        rec: BedMetricsRecord = codec.decode(value or b"")  # type: ignore[attr-defined]
        if rec.period is MetricPeriod.LIVE and (
            rec.scope_id not in newest or rec.period_start > newest[rec.scope_id][0]
        ):
            newest[rec.scope_id] = (rec.period_start, rec.occupied)
    return {unit: count for unit, (_, count) in newest.items()}


def test_bed_counts_come_out_of_the_beds_stage(events: list[Event]) -> None:
    broker = _run(events, batch_size=16)
    codec = broker.pipe.codecs.metrics
    live = [
        rec
        for value in broker.latest[broker.pipe.topics.beds_metrics].values()
        if value is not None and (rec := codec.decode(value)).period is MetricPeriod.LIVE  # type: ignore[attr-defined]
    ]
    assert live, "the input should occupy beds"
    assert all(isinstance(rec, BedMetricsRecord) and rec.occupied >= 0 for rec in live)
    assert sum(rec.occupied for rec in live) > 0


def test_a_redelivered_batch_changes_no_compacted_output(events: list[Event]) -> None:
    """At-least-once: the same records again (a restart before the commit) leave the same final outputs."""
    broker = _run(events[:300], batch_size=32)
    topics = broker.pipe.topics
    before = {t: dict(broker.latest[t]) for t in (topics.avvik, topics.pathway_state)}
    for event in events[:300]:
        broker.produce(topics.events, event.key.encode(), broker.pipe.codecs.event.encode(event))
    broker.run(batch_size=32)
    assert {t: dict(broker.latest[t]) for t in before} == before


def test_an_undecodable_event_is_a_dead_letter_not_a_stall(events: list[Event]) -> None:
    tables = {name: DictTable() for name in TABLES}
    pipe = build_pipeline(SETTINGS, MASTERDATA, HubMetrics(CollectorRegistry()), tables, app_id="t")
    good = Record(pipe.topics.events, 0, 1, b"k", pipe.codecs.event.encode(events[0]))
    batch = pipe.pathway.process([Record(pipe.topics.events, 0, 0, b"k", b"\x07garbage"), good])
    assert batch.done == 2
    dead = [out for out in batch.outputs if out.topic == pipe.topics.dlq]
    assert len(dead) == 1
    assert pipe.counters.values["events"] == 1


class _DownCodec:
    """An event codec whose registry does not answer for the second record."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls = 0

    def decode(self, data: bytes) -> Any:
        self.calls += 1
        if self.calls == 2:
            import httpx2

            raise SerdeError("registry down") from httpx2.ConnectError("refused")
        return self.real.decode(data)

    def encode(self, record: Any) -> bytes:
        return bytes(self.real.encode(record))


def test_a_registry_that_does_not_answer_stops_the_batch_before_the_record(events: list[Event]) -> None:
    tables = {name: DictTable() for name in TABLES}
    pipe = build_pipeline(SETTINGS, MASTERDATA, HubMetrics(CollectorRegistry()), tables, app_id="t")
    real = pipe.codecs.event
    pipe.codecs.event = _DownCodec(real)
    records = [Record(pipe.topics.events, 0, n, b"k", real.encode(ev)) for n, ev in enumerate(events[:3])]
    batch = pipe.pathway.process(records)
    assert batch.done == 1  # the first is done; the driver produces it, waits, and hands in the rest
    assert pipe.counters.values["events"] == 1
    rest = pipe.pathway.process(records[batch.done :])
    assert rest.done == 2
    down = _DownCodec(real)
    down.calls = 1
    pipe.codecs.event = down
    with pytest.raises(RegistryUnavailable):  # nothing done at all: raised, so the driver waits
        pipe.pathway.process(records[:1])


def test_the_outbox_keeps_the_last_write_of_a_compacted_key_and_every_other_record() -> None:
    box = Outbox(frozenset({"state"}))
    box.add(Output("state", b"p1", None))
    box.add(Output("beds", b"u1", None))
    box.add(Output("beds", b"u1", None))
    box.add(Output("state", b"p2", None))
    last = Output("state", b"p1", None, codec=None)
    box.add(last)
    assert [(o.topic, o.key) for o in box.outputs()] == [
        ("beds", b"u1"),
        ("beds", b"u1"),
        ("state", b"p2"),
        ("state", b"p1"),
    ]
    assert box.outputs()[-1] is last


def test_a_staged_table_reads_its_writes_and_hands_them_over_once() -> None:
    base = DictTable({b"a": b"1", b"b": b"2"})
    staged = StagedTable(base)
    staged[b"a"] = b"10"
    staged[b"a"] = b"11"
    del staged[b"b"]
    staged[b"c"] = b"3"
    assert staged.get(b"a") == b"11"
    assert staged.get(b"b") is None
    assert dict(staged.items()) == {b"a": b"11", b"c": b"3"}
    assert base == {b"a": b"1", b"b": b"2"}, "nothing reaches the real table before the driver applies it"
    writes = staged.drain()
    assert writes == {b"a": b"11", b"b": None, b"c": b"3"}
    apply_writes(base, writes)
    assert base == {b"a": b"11", b"c": b"3"}
    assert staged.drain() == {}


def test_every_output_continues_the_trace_of_the_record_it_came_from(events: list[Event]) -> None:
    tables = {name: DictTable() for name in TABLES}
    pipe = build_pipeline(SETTINGS, MASTERDATA, HubMetrics(CollectorRegistry()), tables, app_id="t")
    trace = "0af7651916cd43dd8448eb211c80319c"
    incoming = (("traceparent", f"00-{trace}-b7ad6b7169203331-01".encode()),)
    records = [
        Record(pipe.topics.events, 0, n, ev.key.encode(), pipe.codecs.event.encode(ev), incoming)
        for n, ev in enumerate(events[:40])
    ]
    batch = pipe.pathway.process(records)
    assert batch.outputs
    for out in batch.outputs:
        ((name, value),) = out.headers
        version, trace_id, span, _flags = value.decode().split("-")
        assert (name, version, trace_id) == ("traceparent", "00", trace)
        assert span != "b7ad6b7169203331", "a derived record is a new span, a child of the incoming one"


async def test_one_trace_from_the_connector_through_events_to_state_and_beds() -> None:
    """W3C trace context through the whole chain: an HL7 admission with a sender's traceparent → the raw
    record (connector) → canonical events (normaliser) → pathway state and bed records (pathway)."""
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    sink = MemorySink()
    await Ingestor(HL7V2, sink, SETTINGS).ingest(adt(), traceparent=f"00-{trace}-00f067aa0ba902b7-01")
    tables = {name: DictTable() for name in TABLES}
    pipe = build_pipeline(SETTINGS, MASTERDATA, HubMetrics(CollectorRegistry()), tables, app_id="t")
    topic = SETTINGS.topics.raw_hl7v2
    ((key, value),) = sink.on(topic)
    headers = tuple((k, v if isinstance(v, bytes) else str(v).encode()) for k, v in sink.headers_on(topic)[0])
    normalised = pipe.normalise.process([Record(topic, 0, 0, key, value, headers)])
    events = [out for out in normalised.outputs if out.topic == pipe.topics.events]
    assert events, "the admission maps to canonical events"
    derived = [Record(out.topic, 0, n, out.key, out.encode(), out.headers) for n, out in enumerate(events)]
    outputs = pipe.pathway.process(derived).outputs
    kinds = {out.topic for out in outputs}
    assert {pipe.topics.pathway_state, pipe.topics.beds} <= kinds
    for out in [*events, *outputs]:
        ((name, header),) = out.headers
        assert name == "traceparent"
        assert header.decode().split("-")[1] == trace, out.topic


def _poison_rule(monkeypatch: pytest.MonkeyPatch, events: list[Event]) -> Event:
    """Make SA08 raise whenever it sees one DISCHARGED event of a patient with several events; return it."""
    per_patient = Counter(e.patient.pseudonym for e in events if e.patient is not None)
    poison = next(
        e
        for e in events[100:]
        if e.event_type is EventType.DISCHARGED
        and e.patient is not None
        and per_patient[e.patient.pseudonym] > 4
    )
    original = RULES["SA08"]

    def rule(ctx: RuleContext, sink: Sink) -> None:
        if any(f.id == poison.event_id for s in ctx.episodes.stays.values() for f in s.facts):
            raise RuntimeError("a rule bug met by one event")
        original(ctx, sink)

    monkeypatch.setitem(RULES, "SA08", rule)
    return poison


def _dead_letters(broker: InMemoryBroker) -> list[DeadLetterRecord]:
    codec = broker.pipe.codecs.dlq
    return [codec.decode(v) for v in broker.appended[broker.pipe.topics.dlq]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("per_batch", [False, True])
def test_a_poison_event_mid_batch_leaves_the_rest_of_the_batch_as_if_it_never_came(
    events: list[Event], monkeypatch: pytest.MonkeyPatch, per_batch: bool
) -> None:
    """A core failure in ``apply`` (a late event is judged at once) dead-letters that event; its patient's
    other events in the same batch (the batch replay's batches hold many) give exactly the outputs and state
    of a run without it (issue #15, the review's finding 2)."""
    poison = _poison_rule(monkeypatch, events)
    rest = [e for e in events if e is not poison]
    late = next(i for i, e in enumerate(rest) if e.occurred_at > poison.occurred_at + timedelta(hours=2))
    poisoned = _run([*rest[:late], poison, *rest[late:]], batch_size=256, per_batch=per_batch)
    clean = _run(rest, batch_size=256, per_batch=per_batch)
    topics = poisoned.pipe.topics
    dead = _dead_letters(poisoned)
    assert [(d.code, poison.event_id in d.reason) for d in dead] == [("internal", True)]
    # hourly bed records follow the order bed changes arrive in, which the poison changes per batch
    for topic in (topics.avvik, topics.pathway_state, *(() if per_batch else (topics.beds_metrics,))):
        assert poisoned.latest[topic] == clean.latest[topic], topic
    assert _live_counts(poisoned) == _live_counts(clean)
    # the same values, but for the input offset each records (one more record before them here)
    if not per_batch:  # per batch, a state records the instant it was last judged at: the batch's end
        assert _without_positions(poisoned.tables["pathway"]) == _without_positions(clean.tables["pathway"])


def test_an_on_time_poison_event_in_a_batch_gives_the_dead_letters_and_outputs_of_one_record_at_a_time(
    events: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the batch replay's mode the core meets an on-time poison event only when the batch is settled:
    its patient's events are taken again as one record at a time would take them, so the dead letters (the
    failed judgements of that patient) and every output are those of the live worker's mode."""
    _poison_rule(monkeypatch, events)
    poisoned = _run(events, batch_size=256, per_batch=True)
    live = _run(events, batch_size=1)
    topics = poisoned.pipe.topics
    dead = [(d.code, d.reason) for d in _dead_letters(poisoned)]
    assert dead, "the poison should fail a judgement"
    assert dead == [(d.code, d.reason) for d in _dead_letters(live)]
    for topic in (topics.avvik, topics.pathway_state):
        assert poisoned.latest[topic] == live.latest[topic], topic
    assert _live_counts(poisoned) == _live_counts(live)


def _without_positions(table: DictTable) -> dict[bytes, object]:
    return {key: {k: v for k, v in orjson.loads(value).items() if k != "i"} for key, value in table.items()}


def test_a_patient_the_core_fails_to_judge_at_a_deadline_is_a_dead_letter_and_the_partition_goes_on(
    events: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most judgements run at a deadline, after ``apply`` returned: a failure there is that patient's dead
    letter; every other patient's outputs are those of a run where nothing failed."""
    clean = _run(events, batch_size=64)
    poison = _poison_rule(monkeypatch, events)
    patient = poison.patient.pseudonym  # type: ignore[union-attr]
    poisoned = _run(events, batch_size=64)  # returns: the partition did not stall
    topics = poisoned.pipe.topics
    dead = _dead_letters(poisoned)
    assert all(d.code == "internal" and patient in d.reason for d in dead)
    # one report per failing judgement, never a flood: a failed wake-up is dropped, so each later event of
    # the patient fails at most once more
    later = [e for e in events if e.patient is not None and e.patient.pseudonym == patient]
    later = later[later.index(poison) :]
    assert 1 <= len(dead) <= len(later)
    avvik_codec = poisoned.pipe.codecs.avvik

    def others(broker: InMemoryBroker) -> dict[bytes, bytes | None]:
        kept: dict[bytes, bytes | None] = {}
        for key, value in broker.latest[topics.avvik].items():
            if value is not None and avvik_codec.decode(value).patient_pseudonym != patient:  # type: ignore[attr-defined]
                kept[key] = value
        return kept

    assert others(poisoned) == others(clean)
    assert len(others(clean)) > 20
    state = {k: v for k, v in poisoned.latest[topics.pathway_state].items() if k != patient.encode()}
    assert state == {k: v for k, v in clean.latest[topics.pathway_state].items() if k != patient.encode()}
