"""Kafka over TLS on a real broker started for these tests (SSL and SASL_SSL listeners, certificates made at
test time): the faust app's credentials and the confluent clients verify the broker and deliver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from pydantic import SecretStr

from agents.app import WorkerOptions, make_faust_app
from hub.settings import HubSettings, KafkaSettings, RegistrySettings
from tests.security.certs import make_pki
from tests.security.kafka_tls import SASL_PASSWORD, SASL_USER, TlsBroker, tls_broker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    root = tmp_path_factory.mktemp("kafka-tls")
    with tls_broker(root, make_pki(root / "pki")) as running:
        yield running


def _ssl(broker: TlsBroker, *, ca: Path | None = None) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=broker.ssl, security_protocol="SSL", ssl_cafile=ca or broker.pki.ca
    )


def _sasl_ssl(broker: TlsBroker, password: str = SASL_PASSWORD) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=broker.sasl_ssl,
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username=SASL_USER,
        sasl_password=SecretStr(password),
        ssl_cafile=broker.pki.ca,
    )


async def _send_like_faust(kafka: KafkaSettings, tmp_path: Path, topic: str, value: bytes) -> None:
    """Produce with aiokafka configured exactly as faust's aiokafka driver does from the app's settings."""
    settings = HubSettings(kafka=kafka, data_dir=tmp_path, registry=RegistrySettings(url=None))
    app = make_faust_app(settings, WorkerOptions(app_id=f"tls-{uuid.uuid4().hex[:6]}"))
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=8000, **auth)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


def _read_back(broker: TlsBroker, topic: str) -> list[bytes]:
    consumer = Consumer(
        {"bootstrap.servers": broker.plaintext, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"}
    )
    try:
        consumer.subscribe([topic])
        values: list[bytes] = []
        for _ in range(40):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None and message.value() is not None:
                values.append(message.value())
                break
        return values
    finally:
        consumer.close()


async def test_faust_app_produces_over_ssl(broker: TlsBroker, tmp_path: Path) -> None:
    """HUB_KAFKA__SECURITY_PROTOCOL=SSL: the faust app's credentials speak verified TLS to the broker."""
    topic = f"tls-{uuid.uuid4().hex[:8]}"
    await _send_like_faust(_ssl(broker), tmp_path, topic, b"over-ssl")
    assert _read_back(broker, topic) == [b"over-ssl"]


async def test_faust_app_produces_over_sasl_ssl(broker: TlsBroker, tmp_path: Path) -> None:
    """SASL_SSL: SASL PLAIN inside TLS (the password never in clear) reaches the broker."""
    topic = f"sasl-{uuid.uuid4().hex[:8]}"
    await _send_like_faust(_sasl_ssl(broker), tmp_path, topic, b"over-sasl-ssl")
    assert _read_back(broker, topic) == [b"over-sasl-ssl"]


async def test_faust_app_refuses_a_broker_it_cannot_verify(broker: TlsBroker, tmp_path: Path) -> None:
    """A broker certificate not signed by HUB_KAFKA__SSL_CAFILE is refused."""
    with pytest.raises(Exception):  # noqa: B017, PT011 - aiokafka raises KafkaConnectionError/SSL errors
        await _send_like_faust(_ssl(broker, ca=broker.pki.other_ca), tmp_path, "never", b"x")


def test_confluent_clients_verify_the_broker(broker: TlsBroker) -> None:
    """The connectors' and admin clients (librdkafka) use TLS with verification from the same settings."""
    AdminClient(_ssl(broker).confluent_config()).list_topics(timeout=15)
    AdminClient(_sasl_ssl(broker).confluent_config()).list_topics(timeout=15)
    with pytest.raises(KafkaException):
        AdminClient(_ssl(broker, ca=broker.pki.other_ca).confluent_config()).list_topics(timeout=5)
    with pytest.raises(KafkaException):
        AdminClient(_sasl_ssl(broker, password="wrong").confluent_config()).list_topics(timeout=5)  # noqa: S106
