"""Every event type through the real broker: Confluent wire format via the registry, and single-object."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer

from hub.events import Event
from hub.serde import TopicCodec
from hub.settings import HubSettings
from tests.factories import all_examples

pytestmark = [pytest.mark.kafka, pytest.mark.registry]


def _through_broker(
    settings: HubSettings, topic: str, codec: TopicCodec[Event], events: list[Event]
) -> list[Event]:
    producer = Producer(settings.kafka.ordered_producer_config())
    for event in events:
        producer.produce(topic, key=event.key.encode(), value=codec.encode(event))
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            **settings.kafka.confluent_config(),
            "group.id": f"{topic}-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[Event] = []
    try:
        for _ in range(200):
            if len(received) == len(events):
                break
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            value = msg.value()
            assert value is not None
            received.append(codec.decode(value))
    finally:
        consumer.close()
    return received


def test_wire_format_round_trip_through_registry(infra: HubSettings, topic: str) -> None:
    """Every event type goes through the broker in Confluent wire format with its schema in the registry."""
    assert infra.registry.url
    codec = TopicCodec(Event, topic, infra.registry.url)
    events = all_examples()
    encoded = codec.encode(events[0])
    assert encoded[0] == 0  # magic byte of the wire format, then a 4-byte schema id
    try:
        received = _through_broker(infra, topic, codec, events)
    finally:
        codec.close()
    assert sorted(received, key=lambda e: e.event_id) == sorted(events, key=lambda e: e.event_id)


def test_single_object_round_trip_through_broker(infra: HubSettings, topic: str) -> None:
    """Every event type goes through the broker in Avro single-object encoding (no registry)."""
    codec = TopicCodec(Event, topic, None)
    events = all_examples()
    received = _through_broker(infra, topic, codec, events)
    assert sorted(received, key=lambda e: e.event_id) == sorted(events, key=lambda e: e.event_id)
